"""A reproducible synthetic Chinese news corpus and query set for the search benchmark.

Articles are sentences drawn from a fixed vocabulary of real Chinese words (place
names, finance and utility terms, function words), Zipf-weighted so some words are
everywhere and some are rare, with the original mirror's kind of title. The same
seed always gives the same corpus.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PLACES = [
    "清远", "广州", "深圳", "佛山", "东莞", "珠海", "汕头", "湛江", "韶关", "梅州", "惠州", "江门", "肇庆", "茂名",
    "阳江", "潮州", "揭阳", "云浮", "河源", "汕尾", "北京", "上海", "天津", "重庆", "杭州", "南京", "苏州", "成都",
    "武汉", "西安", "长沙", "郑州", "青岛", "厦门", "宁波", "合肥", "福州", "昆明", "南宁", "贵阳", "香港", "澳门",
    "大湾区", "粤港澳", "长三角", "珠三角",
]
NOUNS = [
    "供电局", "电网", "电力", "用户", "公司", "企业", "市场", "股市", "股票", "基金", "债券", "银行", "央行", "人民银行",
    "证监会", "交易所", "投资者", "利率", "汇率", "通胀", "经济", "产业", "制造业", "新能源", "光伏", "储能", "锂电池",
    "半导体", "芯片", "汽车", "消费", "房地产", "楼市", "地产", "政策", "改革", "监管", "服务", "评价", "榜首", "项目",
    "工程", "线路", "变电站", "停电", "检修", "农网", "改造", "数据", "指数", "板块", "行业", "营收", "利润", "净利润",
    "业绩", "季度", "年度", "同比", "环比", "增长", "下降", "规模", "资金", "融资", "贷款", "存款", "理财", "保险",
    "科技", "创新", "数字化", "人工智能", "大模型", "算力", "平台", "生态", "供应链", "出口", "进口", "外贸", "关税",
    "港口", "物流", "居民", "社区", "乡村", "城市", "交通", "地铁", "高铁", "机场", "医院", "学校", "教育", "医疗",
    "养老", "就业", "收入", "消费券", "记者", "通讯员", "消息", "报道", "发布会", "会议", "文件", "通知", "方案", "意见",
    "措施", "目标", "任务", "成效", "连冠", "冠军",
]
VERBS = [
    "表示", "指出", "认为", "宣布", "发布", "推出", "完成", "实现", "推进", "加快", "提升", "优化", "保障", "支持",
    "开展", "举行", "召开", "印发", "启动", "签约", "落地", "投产", "上涨", "下跌", "回升", "走低", "收涨", "收跌",
    "突破", "创下", "稳居", "连续", "获得", "提供", "满足", "降低",
]
SMALL = [
    "的", "了", "在", "是", "和", "与", "及", "对", "为", "将", "已", "也", "都", "还", "更", "并", "从",
    "向", "到", "上", "中", "下", "内", "外", "年", "月", "日", "个", "家", "项", "次", "亿元", "万元", "%",
]
ADJ = [
    "重要", "重大", "全面", "持续", "稳定", "积极", "显著", "主要", "首个", "最新", "全国", "全省", "全市", "年内",
    "今年", "去年", "明年", "近期",
]


@dataclass(frozen=True, slots=True)
class SynthArticle:
    """One generated article."""

    id: str
    outlet: str
    title: str
    body_html: str
    published_at: datetime


def _zipf(words: list[str], rng: random.Random, exponent: float = 1.1) -> list[float]:
    order = list(words)
    rng.shuffle(order)
    return [1.0 / (order.index(w) + 1) ** exponent for w in words]


class Writer:
    """Draws sentences from the vocabulary with fixed, seeded weights."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pools = [(PLACES, _zipf(PLACES, self.rng)), (NOUNS, _zipf(NOUNS, self.rng)),
                      (VERBS, _zipf(VERBS, self.rng)), (ADJ, _zipf(ADJ, self.rng))]

    def word(self, pool: int) -> str:
        words, weights = self.pools[pool]
        return self.rng.choices(words, weights)[0]

    def sentence(self) -> str:
        rng = self.rng
        parts = [self.word(0) if rng.random() < 0.5 else "", self.word(1), self.word(2), rng.choice(SMALL),
                 self.word(3) if rng.random() < 0.4 else "", self.word(1), self.word(1) if rng.random() < 0.5 else ""]
        if rng.random() < 0.3:
            parts += ["，", str(rng.randint(1, 999)), rng.choice(SMALL), self.word(1)]
        if rng.random() < 0.1:
            parts += ["，", rng.choice(("AI", "5G", "IPO", "ETF", "GDP", "A股", "CPI")), self.word(1)]
        return "".join(parts) + rng.choice("。。。；！")

    def title(self) -> str:
        rng = self.rng
        head = f"{rng.randint(2, 20)}连冠！" if rng.random() < 0.05 else ""
        return head + self.word(0) + self.word(1) + self.word(2) + self.word(3) + self.word(1)

    def body(self) -> str:
        paragraphs = []
        for _ in range(self.rng.randint(3, 8)):
            paragraphs.append("<p>" + "".join(self.sentence() for _ in range(self.rng.randint(2, 5))) + "</p>")
        return "\n".join(paragraphs)


END = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai: +100 land in March
OUTLETS = [f"{p}日报" for p in PLACES[:30]]


def corpus(count: int, *, seed: int = 4, days: int = 90, start: int = 0) -> list[SynthArticle]:
    """`count` articles spread evenly over the `days` before END (ids from `start`)."""
    writer = Writer(seed * 1_000_003 + start)
    span = timedelta(days=days).total_seconds()
    out = []
    for n in range(count):
        when = END - timedelta(seconds=span * (count - n) / count)
        out.append(SynthArticle(id=f"NW{start + n:07d}", outlet=writer.rng.choice(OUTLETS), title=writer.title(),
                                body_html=writer.body(), published_at=when))
    return out


def query_set(texts: list[str], *, seed: int = 7) -> dict[str, list[str]]:
    """Queries by kind: dictionary words of 2, 3 and 4 characters, and substrings cut at random offsets.

    Random substrings often cross word boundaries (远供 of 清远供电局), where a
    word-segmenting index can miss them.
    """
    rng = random.Random(seed)
    by_len: dict[int, list[str]] = {2: [], 3: [], 4: []}
    for word in PLACES + NOUNS + VERBS:
        if len(word) in by_len:
            by_len[len(word)].append(word)
    queries: dict[str, list[str]] = {}
    for length, words in by_len.items():
        queries[f"word-{length}"] = sorted(rng.sample(words, min(5, len(words))))
    queries["word-2"] = sorted(set(queries["word-2"]) | {"清远"})
    queries["word-3"] = sorted(set(queries["word-3"]) | {"供电局"})
    for length in (2, 3, 4):
        picked: list[str] = []
        while len(picked) < 5:
            text = rng.choice(texts)
            at = rng.randrange(max(1, len(text) - length))
            piece = text[at:at + length]
            if len(piece) == length and all("\u4e00" <= c <= "\u9fff" for c in piece) and piece not in picked:
                picked.append(piece)
        queries[f"substring-{length}"] = sorted(picked)
    return queries
