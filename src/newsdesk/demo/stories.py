"""Synthetic Chinese market news for the demo: templates and word lists, no real events.

Every company, index, person and outlet here is invented. A story is a pure
function of (seed, outlet key, sequence number, publication time), so the demo
is reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from html import escape

COMPANIES = (
    "星河新材", "远航智能", "青松生物", "海岳能源", "瑞丰食品", "云帆科技", "华屹半导体",
    "铂川汽车", "嘉禾医药", "澄湖电子", "松岩材料", "北汀物流", "朗月文旅", "启明储能",
    "金穗农业", "蓝湾航运", "万象云数", "长策环保", "鹿鸣乳业", "丰源化工",
)
SECTORS = (
    "半导体", "新能源汽车", "光伏", "储能", "创新药", "白酒", "消费电子", "算力",
    "航运", "券商", "银行", "保险", "煤炭", "有色金属", "军工", "旅游酒店",
)
INDICES = ("东海综合指数", "金桥成长指数", "南方100指数", "华夏红利指数")
CITIES = ("深圳", "上海", "杭州", "成都", "苏州", "合肥", "武汉", "西安", "广州", "青岛")
PEOPLE = ("王立群", "陈思远", "李明哲", "赵慧敏", "周海川", "吴晓岚", "孙博文", "刘静怡")
ROLES = ("首席经济学家", "策略分析师", "基金经理", "研究所所长", "董事长", "总经理")
AGENCIES = ("监管部门", "金融管理部门", "地方金融局", "行业协会", "交易所")
DOCUMENTS = (
    "关于促进中小企业融资的若干措施", "2024年第三季度货币政策执行报告",
    "上市公司可持续发展报告指引", "关于推动资本市场高质量发展的意见",
    "绿色债券支持项目目录", "数字经济促进条例",
)
SUBHEADINGS = ("速读", "事件回顾", "机构观点", "市场影响", "后市展望", "数据一览")
QUOTES = (
    "短期波动不改长期向好趋势", "我们将继续加大研发投入", "估值已处于历史较低区间",
    "政策效果正在逐步显现", "行业出清接近尾声", "现金流是我们最看重的指标",
)
AUTHORS = ("本报记者 林舟", "本报记者 许安", "特约评论员 夏禾", "实习记者 程一", "编辑 方圆")

# Title templates per beat; {…} are filled from the lists above. Some carry an
# ASCII '"', '《》', '&' or '<' on purpose: every title must survive escaping.
TITLES: dict[str, tuple[str, ...]] = {
    "market": (
        "{index}收涨{move}%，{sector}板块领涨",
        "{index}震荡走低，成交额降至{turnover}亿元",
        "北向资金净流入{amount}亿元，{sector}获加仓",
        "午评：{sector}概念股异动，{company}涨停",
        "低估值板块受关注：市盈率<15倍个股达{count}只",
    ),
    "company": (
        "{company}前三季度净利润同比增长{pct}%",
        "{company}拟投资{amount}亿元在{city}建设新基地",
        "{company}董事长：\"{quote}\"",
        "{company}研发（R&D）投入增长{pct}%，新品即将量产",
        "{company}回购股份{count}万股，彰显发展信心",
    ),
    "policy": (
        "{agency}发布《{document}》",
        "解读《{document}》：{sector}行业迎来哪些变化",
        "{agency}：将进一步优化{sector}领域融资环境",
        "{city}出台{count}条措施支持{sector}产业发展",
    ),
    "funds": (
        "{count}只{sector}主题基金年内回报超{pct}%",
        "基金经理{person}：\"{quote}\"",
        "公募三季报出炉，{sector}仍是重仓方向",
        "新发基金规模达{amount}亿元，权益类占比回升",
    ),
    "bonds": (
        "十年期国债收益率下行{bp}个基点",
        "{city}发行{amount}亿元专项债，投向{sector}项目",
        "信用债发行回暖，{company}成功发行{amount}亿元中期票据",
        "资金面：银行间隔夜利率回落至{rate}%",
    ),
}

SENTENCES = (
    "{index}今日开盘后窄幅震荡，午后在{sector}板块带动下小幅走高。",
    "截至收盘，两市成交额合计约{turnover}亿元，较上一交易日有所放大。",
    "{company}公告显示，公司报告期内实现营业收入{amount}亿元，同比增长{pct}%。",
    "{person}（{role}）认为，{quote}，后续仍需关注海外市场变化。",
    "据{agency}介绍，相关政策将分阶段落地，重点支持{sector}等领域。",
    "业内人士指出，{sector}行业景气度正在回升，但分化可能加剧。",
    "{company}表示，位于{city}的新产线预计明年投产，达产后年产值约{amount}亿元。",
    "从资金流向看，{sector}板块当日获主力资金净流入{amount}亿元。",
    "有分析称，“{quote}”这一判断已成为不少机构的共识。",
    "《{document}》提出，到{year}年要形成较为完善的制度体系。",
    "数据显示，{count}家上市公司已披露业绩预告，其中超过六成预喜。",
    "债券市场方面，十年期国债收益率报{rate}%，较前一交易日下行{bp}个基点。",
)

# Deliberately hostile markup: the demo site must show it inert after cleaning.
HOSTILE_PARAGRAPH = (
    '<p class="demo-hostile">【演示：恶意输入】以下脚本和事件属性由演示新闻源故意插入，'
    "用来检验清洗器；在 newsdesk 生成的页面上它们不应执行。"
    "<script>alert(1)</script>"
    '<a href="#" onclick="alert(1)">点此查看</a>'
    '<img src="x" onerror="alert(1)"></p>'
)
HOSTILE_EVERY = 9  # story numbers 4, 13, 22, ... of every outlet carry the hostile paragraph


@dataclass(frozen=True, slots=True)
class Story:
    """One synthetic article as an outlet publishes it."""

    outlet: str  # outlet key, e.g. "donghai"
    seq: int  # 0-based, per outlet
    guid: str
    title: str
    summary: str  # plain text
    body_html: str  # untrusted on purpose: may carry the hostile paragraph
    published_at: datetime
    author: str
    tags: tuple[str, ...]


def _fill(template: str, rng: random.Random) -> str:
    values = {
        "company": rng.choice(COMPANIES), "sector": rng.choice(SECTORS),
        "index": rng.choice(INDICES), "city": rng.choice(CITIES), "person": rng.choice(PEOPLE),
        "role": rng.choice(ROLES), "agency": rng.choice(AGENCIES),
        "document": rng.choice(DOCUMENTS), "quote": rng.choice(QUOTES),
        "pct": f"{rng.uniform(1, 80):.2f}", "move": f"{rng.uniform(0.05, 3.5):.2f}",
        "amount": str(rng.randint(2, 480)), "turnover": str(rng.randint(6000, 14000)),
        "count": str(rng.randint(3, 120)), "bp": str(rng.randint(1, 12)),
        "rate": f"{rng.uniform(1.2, 2.8):.2f}", "year": str(rng.randint(2025, 2030)),
    }
    return template.format(**values)


def _paragraphs(rng: random.Random) -> list[str]:
    result = []
    for _ in range(rng.randint(2, 5)):
        sentences = rng.sample(SENTENCES, rng.randint(2, 4))
        text = "".join(_fill(sentence, rng) for sentence in sentences)
        # the original outlets indent with full-width spaces; the cleaner removes them
        indent = "\u3000\u3000" if rng.random() < 0.3 else ""
        result.append(indent + text)
    return result


def write_story(seed: int, outlet: str, seq: int, beats: tuple[str, ...],
                published_at: datetime) -> Story:
    """Make story `seq` of `outlet`: the same arguments always give the same story."""
    rng = random.Random(f"newsdesk-demo:{seed}:{outlet}:{seq}")
    beat = rng.choice(beats)
    title = _fill(rng.choice(TITLES[beat]), rng)
    paragraphs = _paragraphs(rng)
    parts = [f"<p>{escape(p, quote=False)}</p>" for p in paragraphs]
    if rng.random() < 0.4:
        parts.insert(rng.randint(0, 1), f"<p><strong>{rng.choice(SUBHEADINGS)}</strong></p>")
    if seq % HOSTILE_EVERY == 4:
        parts.insert(rng.randint(1, len(parts)), HOSTILE_PARAGRAPH)
    summary = paragraphs[0].strip("\u3000")[:80]
    return Story(
        outlet=outlet, seq=seq, guid=f"{outlet}-{seq:05d}", title=title, summary=summary,
        body_html="\n".join(parts), published_at=published_at, author=rng.choice(AUTHORS),
        tags=(beat_label(beat), rng.choice(SECTORS)),
    )


_BEAT_LABELS = {"market": "市场", "company": "公司", "policy": "政策", "funds": "基金",
                "bonds": "债券"}


def beat_label(beat: str) -> str:
    """The Chinese tag for a beat name."""
    return _BEAT_LABELS[beat]
