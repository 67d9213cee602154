"""Interface strings, Simplified Chinese first, English on request."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("治理驾驶舱", "Governance Cockpit"),
    "demo_badge": ("演示数据", "Demo data"),
    "demo_note": ("合成数据，仅供演示；边界来自公开数据，正式使用须采用审图号边界",
                  "Synthetic data for demonstration; production screens need approved boundaries"),
    "period": ("统计期", "Period"),
    "compare": ("对比", "Compare"),
    "cmp_prev": ("环比上期", "Previous period"),
    "cmp_yoy": ("同比去年", "Same period last year"),
    "cmp_none": ("不对比", "No comparison"),
    "snapshot": ("数据快照", "Snapshot"),
    "live": ("最新", "live"),
    "lang_toggle": ("English", "中文"),
    "menu": ("筛选与设置", "Filters & settings"),
    "as_of": ("数据截至", "As of"),
    "waiting_page": ("本页等待数据：当前数据快照尚未收到 {tables} 表，数据提供方交付后本页自动显示",
                     "This page waits for data: the current snapshot has no {tables} table yet; the page "
                     "appears once the data is delivered"),
    "waiting_panel": ("等待数据：当前数据快照尚未收到 {tables} 表", "Waiting for data: the current snapshot has no {tables} table"),
    "assessed": ("考核月份 {month}（{period} 尚未考核）", "assessed month {month} ({period} not yet assessed)"),
    "not_assessed": ("{period} 及以前尚无考核数据", "no street assessment up to {period} yet"),
    "snapshot_short": ("快照", "snapshot"),
    "csv": ("下载CSV", "CSV"),
    "sql": ("查看SQL", "SQL"),
    "lineage": ("溯源", "Lineage"),
    "lineage_tip": ("数据来源、快照、数据质量", "Where the numbers come from: snapshot, source, data quality"),
    "cases": ("明细", "Cases"),
    "quality": ("数据质量", "Data quality"),
    "brief": ("汇报材料", "Briefing"),
    "brief_tip": ("本页的汇报材料（PDF：标题、区域、统计期、数据截至、各面板及关键数字）",
                  "This page as a briefing PDF: title, region, period, as of, every panel and its key number"),
    "cases_tip": ("查看图表背后的记录（先点选图中一项可只看该项）", "The rows behind the figure (click an item or region first to see only its rows)"),
    "panel_error": ("面板暂时无法显示", "This panel cannot be shown"),
    "not_on_page": ("本页没有该面板", "this page has no such panel"),
    "ref": ("请联系管理员，参考号", "please tell the administrator, reference"),
    "street": ("街道", "Street"),
    "pick_street": ("选择街道", "Choose a street"),
    "street_default": ("（默认：{month} 考核排名末位）", " (default: lowest-ranked in {month})"),
    "filters": ("筛选", "Filters"),
    "clear": ("清除", "clear"),
    "not_found": ("页面不存在", "Page not found"),
    "no_data_store": ("暂无可显示的数据", "No data can be shown"),
    "f_category": ("类别", "Category"),
    "f_channel": ("渠道", "Channel"),
    "f_handling_level": ("办理层级", "Handling level"),
    "f_runway": ("跑道", "Runway"),
    "f_stage": ("阶段", "Stage"),
    "f_list": ("清单", "List"),
    "f_status": ("状态", "Status"),
    "list_sep": ("、", ", "),
    "filter_ignored": ("· 不随{fields}筛选", "· not filtered by {fields}"),
    "filter_ignored_note": ("本面板的数据不受该筛选条件影响", "This panel's figures do not change with that filter"),
    "snap_missing": ("快照 {snap} 不存在，显示的是最新数据", "Snapshot {snap} does not exist; showing the live data"),
    "map_hint": ("点击地图下钻", "Click the map to drill down"),
    "auth_off_badge": ("本地演示 · 未启用登录", "Local demo · logins off"),
    "auth_off_note": ("COCKPIT_AUTH=off：任何能访问本机的人都能看到全部数据，仅限本地演示",
                      "COCKPIT_AUTH=off: anyone who reaches this server sees everything; for a local demo only"),
    "logout": ("退出", "Sign out"),
    "login_required": ("请先登录", "Please sign in"),
}


#: The words of Dash's dropdowns (their `labels`), which are English unless set.
DROPDOWN_LABELS = {
    "zh": {"select_all": "全选", "deselect_all": "全不选", "selected_count": "已选 {num_selected} 项",
           "search": "搜索", "clear_search": "清除搜索", "clear_selection": "清除选择",
           "no_options_found": "没有匹配的选项"},
    "en": {"select_all": "Select all", "deselect_all": "Deselect all", "selected_count": "{num_selected} selected",
           "search": "Search", "clear_search": "Clear search", "clear_selection": "Clear selection",
           "no_options_found": "No options found"},
}


def dropdown_labels(lang: str) -> dict[str, str]:
    """Dash dropdown `labels` in `lang`."""
    return DROPDOWN_LABELS["en" if lang == "en" else "zh"]


def t(key: str, lang: str) -> str:
    """The string `key` in `lang` ('zh' or 'en')."""
    zh, en = STRINGS[key]
    return en if lang == "en" else zh
