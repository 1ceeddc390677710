"""The pages' message catalogue (Chinese and English) and how a request's language is chosen:
``?lang=zh|en``, then the ``jifen_lang`` cookie, then ``Accept-Language``, else Chinese."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("zh", "en")
DEFAULT = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (中文, English)
    "site.title": ("积分制基层治理", "Points-based community governance"),
    "nav.skip": ("跳到正文", "Skip to content"),
    "nav.main": ("主导航", "Main navigation"),
    "nav.notices": ("公示栏", "Notice board"),
    "nav.me": ("我的积分", "My points"),
    "nav.review": ("审核队列", "Review queue"),
    "nav.admin": ("管理统计", "Dashboard"),
    "nav.merchant": ("商户收银", "Merchant till"),
    "nav.login": ("登录", "Log in"),
    "nav.logout": ("退出", "Log out"),
    "nav.language": ("语言", "Language"),
    "index.title": ("各地公示栏", "Notice boards"),
    "index.none": ("还没有租户。", "No tenants yet."),
    "notices.title": ("积分公示", "Public notice of points"),
    "notices.intro": ("公示期内，任何人都可以对公示条目提出异议。姓名已脱敏。",
                      "During the notice period anyone may object to an entry. Names are masked."),
    "notices.none": ("目前没有正在公示的批次。", "No notice is running at present."),
    "notices.batch": ("{unit} 公示期 {start} 至 {end}", "{unit}, notice from {start} to {end}"),
    "col.entry": ("序号", "No."),
    "col.name": ("姓名", "Name"),
    "col.unit": ("网格/社区", "Unit"),
    "col.item": ("事项", "Item"),
    "col.points": ("积分", "Points"),
    "col.deed_date": ("事迹日期", "Deed date"),
    "col.kind": ("积分类型", "Kind"),
    "col.balance": ("余额", "Balance"),
    "col.date": ("入账时间", "Posted"),
    "col.approver": ("审核人", "Approver"),
    "col.notice": ("公示", "Notice"),
    "col.memo": ("说明", "Memo"),
    "col.state": ("状态", "State"),
    "col.claimant": ("申报人", "Claimant"),
    "col.evidence": ("证据", "Evidence"),
    "col.requested": ("申报分值", "Requested"),
    "col.actions": ("操作", "Actions"),
    "col.category": ("类别", "Category"),
    "col.weight": ("权重", "Weight"),
    "col.contribution": ("贡献", "Contribution"),
    "col.grounds": ("理由", "Grounds"),
    "col.decision": ("决定", "Decision"),
    "col.month": ("月份", "Month"),
    "login.title": ("登录", "Log in"),
    "login.subject": ("编码（居民码）", "Subject code"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("编码或密码不正确。", "Unknown subject code or wrong password."),
    "login.limited": ("登录失败次数过多，请稍后再试。", "Too many failed logins; try again later."),
    "resident.title": ("{name} 的积分", "Points of {name}"),
    "resident.balances": ("余额", "Balances"),
    "resident.history": ("积分明细（含来源）", "History with provenance"),
    "resident.history_none": ("还没有积分记录。", "No postings yet."),
    "resident.score": ("贡献评分", "Contribution score"),
    "resident.score_value": ("评分 {value}（方法 {method} v{version}）",
                             "Score {value} (method {method} v{version})"),
    "resident.score_none": ("暂无评分。", "No score available."),
    "resident.paycode": ("付款码", "Pay code"),
    "resident.paycode_help": ("向商户出示此码兑换积分；{expires} 前有效，仅可使用一次。",
                              "Show this code to a merchant to redeem points; valid until "
                              "{expires}, single use."),
    "resident.paycode_alt": ("付款码二维码", "QR image of the pay code"),
    "resident.claims": ("我的申报", "Claims"),
    "resident.claims_none": ("还没有申报。", "No claims yet."),
    "resident.appeals": ("申诉", "Appeals"),
    "resident.appeals_none": ("没有申诉。", "No appeals."),
    "resident.auto": ("自动认定", "automatic"),
    "resident.claimed": ("申报已提交，等待审核。", "Your claim was submitted for review."),
    "claim.new": ("提交申报", "Submit a claim"),
    "claim.item": ("申报事项", "Item"),
    "claim.deed_date": ("事迹日期", "Date of the deed"),
    "claim.units": ("数量（按单位计分的事项，如小时）", "Units (for items paid per unit, e.g. hours)"),
    "claim.amount": ("申报分值（区间事项）", "Points asked for (range items)"),
    "claim.note": ("说明或证据编号", "Note or evidence reference"),
    "claim.submit": ("提交", "Submit"),
    "consent.title": ("场景授权", "Consent to scenarios"),
    "consent.intro": ("授权后，场景提供方只能得知您是否符合条件，看不到积分明细；可随时撤回。",
                      "With your consent a scenario's provider learns only whether you are "
                      "eligible, never your points; you may withdraw at any time."),
    "consent.none": ("目前没有登记的场景。", "No scenario is registered."),
    "consent.scenario": ("场景", "Scenario"),
    "consent.provider": ("提供方", "Provider"),
    "consent.state": ("授权状态", "Consent"),
    "consent.on": ("已授权", "granted"),
    "consent.off": ("未授权", "not granted"),
    "consent.grant": ("授权", "Grant"),
    "consent.withdraw": ("撤回授权", "Withdraw"),
    "consent.granted_msg": ("已授权。", "Consent granted."),
    "consent.withdrawn_msg": ("已撤回授权。", "Consent withdrawn."),
    "review.title": ("审核队列", "Review queue"),
    "review.scope": ("审核范围：{scopes}", "Your scope: {scopes}"),
    "review.none": ("没有待审核的申报。", "No claims are waiting for review."),
    "review.amount": ("核定分值（区间事项）", "Amount awarded (range items)"),
    "review.approve": ("通过", "Approve"),
    "review.reason": ("驳回理由", "Reason for rejection"),
    "review.reject": ("驳回", "Reject"),
    "review.approved": ("已通过申报。", "The claim was approved."),
    "review.rejected": ("已驳回申报。", "The claim was rejected."),
    "review.publish": ("发布公示", "Publish a notice"),
    "review.publish_help": ("把该单位下已通过的申报作为一批公示。",
                            "Publish the approved claims under the unit as one notice batch."),
    "review.unit": ("单位", "Unit"),
    "review.published": ("已发布公示。", "The notice was published."),
    "review.nothing": ("没有待公示的已通过申报。", "No approved claim is waiting for a notice."),
    "admin.title": ("管理统计", "Administration dashboard"),
    "admin.period": ("统计期间 {start} 至 {end}（不含）", "Period {start} to {end} (exclusive)"),
    "admin.totals": ("按{level}汇总", "Totals per {level}"),
    "admin.total": ("合计", "Total"),
    "admin.chart": ("各月发放的道德积分", "Moral points awarded per month"),
    "admin.chart_desc": ("柱状图：每月发放的道德积分，数据见下表。",
                         "Bar chart of moral points awarded each month; the table below holds "
                         "the same figures."),
    "admin.nodata": ("还没有积分记录。", "No postings yet."),
    "stat.residents_with_moral_points": ("获得道德积分的居民", "Residents with moral points"),
    "stat.moral_awarded": ("发放道德积分", "Moral awarded"),
    "stat.moral_deducted": ("扣减道德积分", "Moral deducted"),
    "stat.material_issued": ("发放物质积分", "Material issued"),
    "stat.material_redeemed": ("兑换物质积分", "Material redeemed"),
    "stat.material_expired": ("过期物质积分", "Material expired"),
    "stat.material_settled": ("已结算", "Material settled"),
    "state.submitted": ("待审核", "submitted"),
    "state.approved": ("已通过", "approved"),
    "state.rejected": ("已驳回", "rejected"),
    "state.in_notice": ("公示中", "in notice"),
    "state.objected": ("有异议", "objected"),
    "state.final": ("已入账", "final"),
    "state.withdrawn": ("已撤回", "withdrawn"),
    "state.reversed": ("已撤销", "reversed"),
    "state.open": ("处理中", "open"),
    "state.upheld": ("成立", "upheld"),
    "state.dismissed": ("不成立", "dismissed"),
    "kind.moral": ("道德积分", "moral points"),
    "kind.material": ("物质积分", "material points"),
    "error.title": ("出错了", "Something went wrong"),
    "error.403": ("您无权查看此页面。", "You may not see this page."),
    "error.404": ("找不到该页面。", "Not found."),
    "error.back": ("返回", "Back"),
    "csrf.failed": ("表单已过期，请重新提交。", "The form has expired; please submit it again."),
}


def pick(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The language of a request."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return str(choice)
    ranked = []
    for part in (accept or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.strip().lower().split("-")[0]))
    for _quality, tag in sorted(ranked, key=lambda r: -r[0]):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang``; an unknown key shows its last part (``kind.carbon``:
    ``carbon``, a plugin's point kind)."""
    index = LANGUAGES.index(lang)

    def t(key: str, **values: object) -> str:
        message = MESSAGES.get(key)
        text = message[index] if message else key.rpartition(".")[2]
        return text.format(**values) if values else text

    return t
