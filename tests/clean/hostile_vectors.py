"""Hostile HTML bodies, one per case: each tries to call top.pwn(<its number>) when it runs.

`{p}` stands for that call; the browser test's harness page defines `pwn`, so a vector
that ran leaves a mark on the harness. Vectors that need a click (javascript: links)
cannot run unattended; the static check (clean_checks.assert_harmless) covers them.
"""

from __future__ import annotations

VECTORS: dict[str, str] = {
    # script tags in many spellings
    "script-plain": "<p>a</p><script>{p}</script><p>b</p>",
    "script-upper": "<SCRIPT>{p}</SCRIPT>",
    "script-mixed-case": "<ScRiPt>{p}</sCrIpT>",
    "script-type": '<script type="text/javascript">{p}</script>',
    "script-slash-attr": '<script/src="data:text/javascript,{p}"></script>',
    "script-newline-in-tag": "<script\n>{p}</script\n>",
    "script-split-by-script": "<scr<script>ipt>{p}</scr</script>ipt>",
    "script-double-open": "<<script>{p}//<</script>",
    "script-unclosed": "<p>text<script>{p}",
    "script-in-attribute-breakout": '"><script>{p}</script>',
    "script-single-quote-breakout": "'><script>{p}</script>",
    "script-escaped-text-stays-text": "<p>&lt;script&gt;{p}&lt;/script&gt;</p>",
    "script-after-quote-junk": '<img """><script>{p}</script>">',
    # event handlers
    "img-onerror-unquoted": "<img src=x onerror={p}>",
    "img-onerror-quoted": '<img src="x" onerror="{p}">',
    "img-onerror-upper": "<IMG SRC=x ONERROR={p}>",
    "img-onerror-newline": "<img src=x onerror\n={p}>",
    "img-slash-separators": "<img/src=x/onerror={p}>",
    "img-backtick": "<img src=`x`onerror={p}>",
    "img-unterminated": "<p>x</p><img src=x onerror={p}//",
    "body-onload": "<body onload={p}>",
    "frameset-onload": "<frameset onload={p}>",
    "input-autofocus": "<input onfocus={p} autofocus>",
    "select-autofocus": "<select onfocus={p} autofocus></select>",
    "textarea-autofocus": "<textarea onfocus={p} autofocus></textarea>",
    "keygen-autofocus": "<keygen onfocus={p} autofocus>",
    "details-ontoggle": "<details open ontoggle={p}><summary>s</summary></details>",
    "video-source-onerror": "<video><source onerror={p}></video>",
    "audio-onerror": "<audio src=x onerror={p}></audio>",
    "marquee-onstart": "<marquee onstart={p}>x</marquee>",
    "div-onmouseover": "<div onmouseover={p}>hover</div>",
    "link-onclick": '<a href="https://ok.example.com/" onclick={p}>x</a>',
    "p-onanimationstart": "<style>@keyframes k{}</style><p style=animation-name:k onanimationstart={p}>x</p>",
    # javascript:, vbscript: and data: URLs in many encodings
    "href-javascript": '<a href="javascript:{p}">x</a>',
    "href-javascript-case": '<a href="JaVaScRiPt:{p}">x</a>',
    "href-javascript-space": '<a href=" javascript:{p}">x</a>',
    "href-javascript-tab-entity": '<a href="java&#x09;script:{p}">x</a>',
    "href-javascript-newline-entity": '<a href="java&#10;script:{p}">x</a>',
    "href-javascript-decimal-entities":
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{p}">x</a>',
    "href-javascript-hex-entity": '<a href="&#x6A;avascript:{p}">x</a>',
    "href-javascript-colon-entity": '<a href="javascript&colon;{p}">x</a>',
    "href-javascript-control-char": '<a href="\x01javascript:{p}">x</a>',
    "href-vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "href-data-html": '<a href="data:text/html,<script>{p}</script>">x</a>',
    "href-data-base64": '<a href="data:text/html;base64,PHNjcmlwdD50b3AucHduKDEpPC9zY3JpcHQ+">x</a>',
    "img-src-javascript": '<img src="javascript:{p}">',
    "table-background": '<table><tr><td background="javascript:{p}">x</td></tr></table>',
    "form-action": '<form action="javascript:{p}"><button>x</button></form>',
    "isindex-action": '<isindex action="javascript:{p}" type=image>',
    # frames and plugins
    "iframe-javascript": '<iframe src="javascript:{p}"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>{p}</script>"></iframe>',
    "iframe-data": '<iframe src="data:text/html,<script>{p}</script>"></iframe>',
    "object-javascript": '<object data="javascript:{p}"></object>',
    "embed-javascript": '<embed src="javascript:{p}">',
    # SVG and MathML tricks
    "svg-onload": "<svg onload={p}>",
    "svg-script": "<svg><script>{p}</script></svg>",
    "svg-animate-onbegin": "<svg><animate onbegin={p} attributeName=x dur=1s></animate></svg>",
    "svg-xlink-href": '<svg><a xlink:href="javascript:{p}"><text x=20 y=20>x</text></a></svg>',
    "svg-style-img": "<svg><style><img src=x onerror={p}></style></svg>",
    "math-mglyph-style": "<math><mtext><table><mglyph><style><img src=x onerror={p}></style></mglyph></table>"
                         "</mtext></math>",
    "math-maction": '<math><maction actiontype="statusline#" xlink:href="javascript:{p}">x</maction></math>',
    # meta refresh and base
    "meta-refresh-javascript": '<meta http-equiv="refresh" content="0;url=javascript:{p}">',
    "meta-refresh-data": '<meta http-equiv="refresh" content="0;url=data:text/html,<script>{p}</script>">',
    "base-javascript": '<base href="javascript:{p}//"><a href="/x">x</a>',
    "base-elsewhere": '<base href="https://evil.example.com/"><a href="x">x</a>',
    "link-stylesheet": '<link rel="stylesheet" href="javascript:{p}">',
    # CSS that runs, hides or overlays
    "style-import": '<style>@import "javascript:{p}";</style>',
    "css-url-javascript": '<div style="background:url(javascript:{p})">x</div>',
    "css-expression": '<div style="width:expression({p})">x</div>',
    "css-overlay": '<p style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:9">overlay</p>',
    "css-hide-class": '<p class="hidden" id="main">x</p>',
    # markup that re-forms tags after parsing (mutation XSS)
    "noscript-title": '<noscript><p title="</noscript><img src=x onerror={p}>"></noscript>',
    "comment-breakout": '<!--<img src="--><img src=x onerror={p}//">',
    "template-script": "<template><script>{p}</script></template>",
    "xmp-img": "<xmp><img src=x onerror={p}></xmp>",
    "noembed-img": "<noembed><img src=x onerror={p}></noembed>",
    "title-img": "<title><img src=x onerror={p}></title>",
    "textarea-breakout": "<textarea><img src=x onerror={p}></textarea>",
    "cdata-in-html": "<![CDATA[<img src=x onerror={p}>]]>",
    "nested-a-p": "<a><p><a href='javascript:{p}'>x</a></p></a>",
    "table-foster-parent": "<table><img src=x onerror={p}><tr><td>x</td></tr></table>",
    "select-option-breakout": "<select><option><img src=x onerror={p}></option></select>",
}


def payload(index: int) -> str:
    """The call a vector makes when it runs."""
    return f"top.pwn({index})"


def bodies() -> list[tuple[str, str]]:
    """(case name, body) in a fixed order, with each vector's own call filled in."""
    return [(name, html.replace("{p}", payload(i))) for i, (name, html) in enumerate(VECTORS.items())]
