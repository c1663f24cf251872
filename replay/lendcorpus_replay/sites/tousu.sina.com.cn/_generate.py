"""Deterministic generator of the 黑猫投诉 (tousu.sina.com.cn) replay fixture.

Everything here is invented: lenders are real brand names (the subject of complaints), but every
complainant, phone number and story is made up and obviously so (张先生, 138****0000). The same
seed always writes the same bytes, so the fixture folder can be regenerated and compared:

    python replay/lendcorpus_replay/sites/tousu.sina.com.cn/_generate.py            # rewrite this folder
    python .../_generate.py --out DIR --new 3                             # a copy with 3 newer complaints

Files written: ``_data.json`` (what the API handler serves, and what tests expect), one detail
page per complaint under ``complaint/view/{sn}/index.html``, ``robots.txt`` and the special pages
under ``_pages/`` (page-not-found, captcha, HTML-instead-of-JSON, 403, 429).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20241117
N_BASE = 44
SALT = "$d6eb7ff91ee257475%"
#: The real site allows about 50 pages anonymously; the fixture scales that down.
ANON_PAGE_LIMIT = 3
#: Newest base complaint; older ones go back from here. New ones (``--new``) come after it.
BASE_TIME = 1731800000  # 2024-11-17 07:33:20 +08:00
FIRST_SN = 17390300000
CHINA = timezone(timedelta(hours=8))
HERE = Path(__file__).resolve().parent

COMPANIES = [
    ("5650743478", "新橙分期"),
    ("5617362901", "信用飞"),
    ("1883471520", "借呗"),
    ("2390817364", "微粒贷"),
    ("7102938475", "360借条"),
    ("3349021876", "安逸花"),
    ("2817364509", "分期乐"),
]
#: Company ids only a test asks for: the fixture's error cases on the company endpoint.
SPECIAL_COUIDS = {
    "6000000403": "http_403",
    "6000000429": "http_429",
    "6000000999": "captcha",
    "6000000456": "http_456",
    "6000000001": "other_envelope",
}
#: Keyword searches with a special answer on one page.
SPECIAL_KEYWORDS = {
    "上门催收": {"1": "html"},
    "爆通讯录": {"2": "malformed"},
    "暴力催收": {"2": "empty"},
}

PRACTICES = [
    ("爆通讯录", "暴力催收", "把我手机通讯录里的亲戚朋友都打了一遍，还群发短信说我是老赖"),
    ("联系家人", "暴力催收", "打电话给我父母和我老婆，说不还钱就去家里找他们"),
    ("上门催收", "暴力催收", "说已经安排外访人员上门催收，还发来我家小区门口的照片"),
    ("威胁起诉", "威胁恐吓", "每天发短信说已经立案，马上就要起诉我，还要冻结我的银行卡"),
    ("辱骂", "暴力催收", "催收员电话里用很难听的话辱骂我，一天打二十多个电话"),
    ("爆通讯录", "泄露隐私", "把我的欠款信息发给了我公司同事，现在同事都知道我逾期了"),
    ("高额利息", "利息过高", "借款合同写的年化不超过24%，实际算下来加上担保费超过了36%"),
    ("乱收费", "乱收费", "莫名其妙扣了会员费和担保服务费，我从来没有同意过"),
]
APPEALS = ["停止骚扰", "道歉", "协商还款", "退还多收费用", "赔偿损失", "停止暴力催收", "减免罚息"]
SERVICES = ["借款", "分期还款", "信用贷款", "会员服务"]
AUTHORS = ["张先生", "李女士", "王先生", "赵女士", "刘先生", "陈女士", "匿名用户", "孙先生"]
AMOUNTS = ["2.3万元", "1,200元", "5000元", "8600", "3.5万", "12000元", "", "不详", "760.5元", "1.8万元"]
STATUS_TEXT = {1: "通过审核", 3: "待分配", 4: "处理中", 6: "已回复", 7: "已完成", 8: "已关闭"}
DATE_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y/%m/%d %H:%M"]
PLATFORM = "黑猫消费者服务平台"

OPENINGS = [
    "本人于{month}月在{company}借款{amount}，",
    "我在{company}有一笔借款，因为疫情后收入下降逾期了{days}天，",
    "去年在{company}分期借了一笔钱，之前一直按时还款，这个月因为生病住院晚还了几天，",
]
MIDDLES = [
    "逾期后{company}的催收人员{practice_text}。",
    "对方催收员自称是{company}委托的第三方机构，{practice_text}。",
]
EXTRAS = [
    "我多次打客服电话400-000-0000想协商分期还款，客服一直说没有办法。",
    "催收电话号码每次都不一样，我已经拉黑了十几个号码，例如138****0000、177****0000。",
    "我不是不还，只是希望能协商一个我能承受的还款方案。",
    "家里老人被吓得睡不着觉，严重影响了我们的正常生活。",
    "还冒充客服让我把收到的验证码发给他们，说可以帮我减免罚息。",
]
ENDINGS = [
    "请黑猫投诉帮忙督促{company}规范催收行为，{appeal}。",
    "希望{company}尽快处理，{appeal}，否则我将向金融监管部门反映。",
]
REPLIES = [
    "尊敬的用户您好，关于您反馈的问题我们已经收到，已安排专员核实催收情况，请保持电话畅通。",
    "您好，已为您登记停催申请，相关人员会在3个工作日内与您联系协商还款方案，给您带来不便深表歉意。",
    "您好，经核实您的借款已逾期，我司已要求合作机构规范催收，如有疑问请联系官方客服。",
]
SUPPLEMENTS = [
    "补充一下：今天又接到了两个催收电话，对方态度依旧很差。",
    "商家客服联系我了，但是给出的方案我无法接受，希望平台继续跟进。",
]
CONFIRMS = ["商家已经和我协商好了分期方案，问题已解决，感谢平台。", "已经停止骚扰电话，满意。"]


def sld_for(sn: str) -> str:
    """The page token the real site adds to complaint links; fixed per complaint here."""
    return hashlib.md5(f"heimao-fixture-sld:{sn}".encode()).hexdigest()


def _fmt(ts: int, fmt: str) -> str:
    return datetime.fromtimestamp(ts, CHINA).strftime(fmt)


def _complaint(rng: random.Random, sn: str, ts: int, index: int) -> dict:
    couid, company = COMPANIES[rng.randrange(len(COMPANIES))]
    practice, issue, practice_text = PRACTICES[rng.randrange(len(PRACTICES))]
    appeals = rng.sample(APPEALS, rng.randint(1, 3))
    amount = AMOUNTS[rng.randrange(len(AMOUNTS))]
    author = AUTHORS[rng.randrange(len(AUTHORS))]
    status = rng.choice([1, 3, 4, 6, 6, 7, 7, 8])
    fill = {"company": company, "practice_text": practice_text, "amount": amount or "一笔钱",
            "month": rng.randint(1, 12), "days": rng.randint(3, 90), "appeal": "，".join(appeals)}
    paragraphs = [
        rng.choice(OPENINGS).format(**fill) + rng.choice(MIDDLES).format(**fill),
        "".join(rng.sample(EXTRAS, rng.randint(1, 2))),
        rng.choice(ENDINGS).format(**fill),
    ]
    narrative = "\n".join(paragraphs)
    title = f"{company}{practice}，{appeals[0]}"
    if rng.random() < 0.3:
        title = f"投诉{company}{issue}，{practice}严重影响生活"
    # the timeline, oldest first (the page shows it newest first)
    t = ts
    steps = [{"name": author, "status": "发起投诉", "time": t, "text": narrative, "role": "consumer"}]
    t += rng.randint(600, 7200)
    steps.append({"name": PLATFORM, "status": "审核通过", "time": t, "role": "platform",
                  "text": "投诉已通过审核，等待分配商家处理。"})
    if status >= 3:
        t += rng.randint(3600, 86400)
        steps.append({"name": PLATFORM, "status": "投诉已分配", "time": t, "role": "platform",
                      "text": f"投诉已分配给{company}，等待商家处理。"})
    if status >= 6:
        if rng.random() < 0.4:
            t += rng.randint(3600, 86400)
            steps.append({"name": author, "status": "补充投诉", "time": t, "role": "consumer",
                          "text": rng.choice(SUPPLEMENTS)})
        t += rng.randint(3600, 3 * 86400)
        steps.append({"name": company, "status": "商家已回复", "time": t, "role": "company",
                      "text": rng.choice(REPLIES)})
    if status == 7:
        t += rng.randint(3600, 86400)
        steps.append({"name": author, "status": "确认完成", "time": t, "role": "consumer",
                      "text": rng.choice(CONFIRMS)})
    if status == 8:
        t += rng.randint(86400, 5 * 86400)
        steps.append({"name": PLATFORM, "status": "投诉已关闭", "time": t, "role": "platform",
                      "text": "因用户长时间未回复，投诉已关闭。"})
    cotitle = company
    r = rng.random()
    if r < 0.35:
        cotitle = f'<a href="//tousu.sina.com.cn/company/view/?couid={couid}" target="_blank">{company}</a>'
    elif r < 0.45:
        cotitle = f'<span class="co">{company}</span>'
    ts_value: object = str(ts)
    r = rng.random()
    if r < 0.2:
        ts_value = ts
    elif r < 0.3:
        ts_value = str(ts * 1000)
    summary = narrative.replace("\n", "")[:58] + "..."
    main = {
        "sn": sn,
        "title": title,
        "summary": summary,
        "appeal": "，".join(appeals),
        "issue": issue,
        "cotitle": cotitle,
        "couid": couid,
        "cost": amount,
        "status": status if rng.random() < 0.7 else str(status),
        "timestamp": ts_value,
        "url": f"//tousu.sina.com.cn/complaint/view/{sn}/?sld={sld_for(sn)}",
        "upvote_amount": str(rng.randint(0, 60)),
        "comment_amount": rng.randint(0, 9),
        "evaluate_u": None if status != 7 else {"score": rng.randint(3, 5)},
    }
    author_obj = {"title": author, "wb_profile": f"https://weibo.example/u/{index:010d}",
                  "avatar": "https://n.sinaimg.example/default/avatar.png"}
    detail = {
        "service": rng.choice(SERVICES),
        "date_format": DATE_FORMATS[rng.randrange(len(DATE_FORMATS))],
        "steps": steps,
        "order": "newest_first",
    }
    return {"sn": sn, "sld": sld_for(sn), "item": {"main": main, "author": author_obj}, "detail": detail,
            "company": company, "status_text": STATUS_TEXT[status]}


def build(new: int = 0) -> dict:
    """The whole fixture as data: base complaints, then ``new`` newer ones on top."""
    rng = random.Random(SEED)
    complaints = []
    ts = BASE_TIME
    for i in range(N_BASE):
        sn = str(FIRST_SN + (N_BASE - i) * 37)
        complaints.append(_complaint(rng, sn, ts, i))
        ts -= rng.randint(1800, 30000)
    # shape variants the parser must survive
    complaints[7]["item"]["main"]["url"] = f"//tousu.sina.com.cn/complaint/view/{complaints[7]['sn']}/"
    complaints[12]["detail"]["order"] = "oldest_first"
    for c in complaints[:N_BASE]:
        if "验证码" in c["detail"]["steps"][0]["text"]:
            break
    else:  # make sure one complaint page mentions 验证码 (it is not a captcha page)
        first = complaints[3]["detail"]["steps"][0]
        first["text"] += "\n" + EXTRAS[4]
    # enough 爆通讯录 complaints for a second search page
    n_bao = sum(1 for c in complaints if "爆通讯录" in _searchable(c))
    assert n_bao > 10, n_bao
    new_rng = random.Random(SEED + 1)
    for j in range(new):
        sn = str(FIRST_SN + (N_BASE + 1 + j) * 37)
        complaints.insert(0, _complaint(new_rng, sn, BASE_TIME + (j + 1) * 900, N_BASE + j))
    feed = [c["sn"] for c in complaints]
    dup_at = new + 9
    feed.insert(dup_at + 1, feed[dup_at])  # the last item of page 1 shows up again on top of page 2
    broken = {"main": {"title": "（该投诉内容缺少编号）", "summary": "", "timestamp": str(BASE_TIME - 40000),
                       "status": 4},
              "author": {"title": "匿名用户", "wb_profile": "", "avatar": ""}}
    data = {
        "about": "Invented fixture data for tousu.sina.com.cn; generated by _generate.py — do not edit.",
        "seed": SEED,
        "salt": SALT,
        "anon_page_limit": ANON_PAGE_LIMIT,
        "companies": [{"couid": c, "name": n} for c, n in COMPANIES],
        "special_couids": SPECIAL_COUIDS,
        "special_keywords": SPECIAL_KEYWORDS,
        "broken_item": broken,
        "broken_at": new + 14,
        "duplicate_sn": feed[dup_at],
        "no_sld_sn": complaints[new + 7]["sn"],
        "oldest_first_sn": complaints[new + 12]["sn"],
        "new_sns": [c["sn"] for c in complaints[:new]],
        "feed": feed,
        "complaints": complaints,
    }
    # real shapes (issue 14): a page whose timeline is missing (the header still says when it
    # was filed), and one filing against two companies: the next sn, same text, other company
    complaints[new + 25]["detail"]["no_timeline"] = True
    data["no_timeline_sn"] = complaints[new + 25]["sn"]
    orig = complaints[new + 20]
    twin = _twin(orig)
    complaints.insert(complaints.index(orig) + 1, twin)
    feed.insert(feed.index(orig["sn"]) + 1, twin["sn"])
    data["linked_sns"] = [orig["sn"], twin["sn"]]
    return data


def _twin(c: dict) -> dict:
    """The same filing against the next company: the next complaint number, identical text."""
    twin = json.loads(json.dumps(c))
    names = [n for _, n in COMPANIES]
    couid, company = COMPANIES[(names.index(c["company"]) + 1) % len(COMPANIES)]
    sn = str(int(c["sn"]) + 1)
    main = twin["item"]["main"]
    main.update({"sn": sn, "couid": couid, "cotitle": company,
                 "title": main["title"].replace(c["company"], company),
                 "url": f"//tousu.sina.com.cn/complaint/view/{sn}/?sld={sld_for(sn)}"})
    twin.update({"sn": sn, "sld": sld_for(sn), "company": company})
    for step in twin["detail"]["steps"][1:]:
        step["text"] = step["text"].replace(c["company"], company)
        if step["role"] == "company":
            step["name"] = company
    return twin


def _searchable(c: dict) -> str:
    m = c["item"]["main"]
    return " ".join([m["title"], m["summary"], m["issue"], m["appeal"], c["company"], c["detail"]["steps"][0]["text"]])


def detail_html(c: dict) -> str:
    """A complaint page with the real page's structure (unclosed <li>, newest step first)."""
    m = c["item"]["main"]
    e = html.escape
    fmt = c["detail"]["date_format"]
    steps = list(c["detail"]["steps"])
    if c["detail"]["order"] == "newest_first":
        steps.reverse()
    items = []
    for s in steps:
        paras = "".join(f"<p>{e(p)}</p>" for p in s["text"].split("\n"))
        items.append(
            '      <div class="ts-d-item">\n'
            '        <div class="ts-d-user">\n'
            f'          <span class="u-name">{e(s["name"])}</span>\n'
            f'          <span class="u-status">{e(s["status"])}</span>\n'
            f'          <span class="u-date">{_fmt(s["time"], fmt)}</span>\n'
            '        </div>\n'
            f'        <div class="ts-d-cont">{paras}</div>\n'
            '      </div>\n')
    amount = m["cost"]
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{e(m['title'])}_黑猫投诉</title>\n"
        "<meta name=\"keywords\" content=\"黑猫投诉,消费者投诉\">\n"
        "<link rel=\"stylesheet\" href=\"//n.sinaimg.example/tousu/css/detail.css\">\n"
        "</head>\n<body>\n"
        "<div class=\"ts-header\"><a href=\"https://tousu.sina.com.cn/\">黑猫投诉</a></div>\n"
        "<div class=\"ts-wrap\">\n  <div class=\"ts-d-main\">\n"
        "    <div class=\"ts-d-question\">\n"
        f"      <h1 class=\"article\">{e(m['title'])}</h1>\n"
        f"      <div class=\"ts-q-user clearfix\"><span class=\"u-name\">{e(c['detail']['steps'][0]['name'])}</span>"
        f"<span class=\"u-date\">发布于 {_fmt(c['detail']['steps'][0]['time'], '%Y年%m月%d日 %H:%M')}</span></div>\n"
        "      <ul class=\"ts-q-list\">\n"
        f"        <li><label>投诉编号：</label>{m['sn']}\n"
        f"        <li><label>投诉对象：</label><a href=\"https://tousu.sina.com.cn/company/view/?couid={m['couid']}\""
        f" target=\"_blank\">{e(c['company'])}</a>\n"
        f"        <li><label>使用服务：</label>{e(c['detail']['service'])}\n"
        f"        <li><label>投诉问题：</label>{e(m['issue'])}\n"
        f"        <li><label>投诉要求：</label>{e(m['appeal'])}\n"
        f"        <li><label>涉诉金额：</label>{e(amount)}\n"
        f"        <li class=\"ts-q-status\"><label>投诉进度：</label><b>{e(c['status_text'])}</b>\n"
        "      </ul>\n    </div>\n"
        + ("" if c["detail"].get("no_timeline") else
           "    <div class=\"ts-d-steplist\">\n" + "".join(items) + "    </div>\n") +
        "  </div>\n"
        "  <div class=\"ts-d-side\"><a href=\"https://tousu.sina.com.cn/company/view/?couid="
        f"{m['couid']}\">查看该商家更多投诉</a></div>\n"
        "</div>\n<div class=\"ts-footer\">新浪黑猫投诉 版权所有</div>\n"
        "</body>\n</html>\n"
    )


PAGES = {
    "not_found.html": (
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>黑猫投诉</title></head>\n<body>\n"
        "<div class=\"ts-error\"><p>页面不存在</p><a href=\"https://tousu.sina.com.cn/\">返回首页</a></div>\n"
        "</body>\n</html>\n"),
    "captcha.html": (
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>安全验证</title></head>\n<body>\n"
        "<div class=\"sec-box\"><h2>请完成安全验证</h2><p>您的访问过于频繁，请输入验证码后继续访问。</p>\n"
        "<img src=\"/sec/captcha.png\" alt=\"captcha\"><input name=\"code\"></div>\n</body>\n</html>\n"),
    "busy.html": (
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>系统繁忙</title></head>\n<body>\n"
        "<p>系统繁忙，请稍后再试。</p>\n</body>\n</html>\n"),
    "403.html": (
        "<html>\n<head><title>403 Forbidden</title></head>\n<body>\n<center><h1>403 Forbidden</h1></center>\n"
        "<hr><center>sina-waf</center>\n</body>\n</html>\n"),
    "456.html": (
        "<html>\n<head><title>456</title></head>\n<body>\n<center><h1>访问受限</h1></center>\n"
        "<p>您的IP访问过于频繁，已被暂时限制访问。</p>\n</body>\n</html>\n"),
    "429.html": (
        "<html>\n<head><title>429 Too Many Requests</title></head>\n<body>\n"
        "<center><h1>429 Too Many Requests</h1></center>\n</body>\n</html>\n"),
}

ROBOTS = ("User-agent: *\n"
          "Disallow: /user/\n"
          "Disallow: /complaint/edit/\n"
          "Disallow: /api/user/\n")


def write(out: Path, new: int = 0) -> list[Path]:
    """Write the fixture into ``out``; returns the files written."""
    data = build(new)
    written = []

    def put(rel: str, text: str) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)

    put("_data.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    put("robots.txt", ROBOTS)
    for name, text in PAGES.items():
        put(f"_pages/{name}", text)
    for c in data["complaints"]:
        put(f"complaint/view/{c['sn']}/index.html", detail_html(c))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="regenerate the tousu.sina.com.cn replay fixture")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--new", type=int, default=0, help="add this many complaints newer than the base set")
    args = parser.parse_args()
    files = write(args.out, args.new)
    print(f"wrote {len(files)} files to {args.out}")


if __name__ == "__main__":
    main()
