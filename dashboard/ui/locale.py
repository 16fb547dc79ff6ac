"""The Chinese texts of third-party components (AG Grid, dcc.Dropdown, the date picker), in one place.

Their own defaults are English. The AG Grid strings follow the zh-CN locale of
``@ag-grid-community/locale`` 35.3 (MIT), cut to what a community grid with text
filters, a column menu and paging can show, and reworded where the word-for-word
translation reads badly (its pagination reads "1 至 20 的 106"). ``assets/style.css``
adds the counters' units (条, 页), which AG Grid has no key for.
"""

from __future__ import annotations

#: ``dcc.Dropdown(labels=…)``: the search box, select-all row, clear buttons and the empty result.
DROPDOWN_LABELS = {
    "select_all": "全选",
    "deselect_all": "全不选",
    "selected_count": "已选 {num_selected} 项",
    "search": "搜索",
    "clear_search": "清除搜索",
    "clear_selection": "清除已选",
    "no_options_found": "无匹配项",
}

#: ``dcc.DatePickerRange``: formats in Dash's moment-style tokens, rendered by date-fns with the
#: zh-CN locale that ``assets/date-fns-locale-zh-CN.min.js`` registers (month names, 一 … 日).
DATE_PICKER = {
    "display_format": "YYYY-MM-DD",
    "month_format": "YYYY年MMM",
    "first_day_of_week": 1,
}

#: AG Grid ``localeText`` for every built-in string the appeal table can show.
GRID_LOCALE_TEXT = {
    # Paging: "1 至 20 共 106 条", "第 1 页 共 6 页" (the units come from style.css).
    "page": "第",
    "to": "至",
    "of": "共",
    "more": "更多",
    "pageLastRowUnknown": "?",
    "firstPage": "第一页",
    "previousPage": "上一页",
    "nextPage": "下一页",
    "lastPage": "最后一页",
    "pageSizeSelectorLabel": "每页条数：",
    "ariaPageSizeSelectorLabel": "每页条数",
    # States of the table.
    "loadingOoo": "加载中…",
    "loadingError": "加载失败",
    "noRowsToShow": "暂无诉求",
    # Text filters (every column holds text).
    "filterOoo": "筛选…",
    "searchOoo": "搜索…",
    "typeToSearchOoo": "输入以搜索…",
    "selectAll": "（全选）",
    "blanks": "（空白）",
    "noMatches": "无匹配项",
    "empty": "请选择",
    "equals": "等于",
    "notEqual": "不等于",
    "contains": "包含",
    "notContains": "不包含",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "blank": "为空",
    "notBlank": "不为空",
    "lessThan": "小于",
    "greaterThan": "大于",
    "lessThanOrEqual": "小于等于",
    "greaterThanOrEqual": "大于等于",
    "inRange": "介于",
    "inRangeStart": "从",
    "inRangeEnd": "到",
    "before": "早于",
    "after": "晚于",
    "dateFormatOoo": "年-月-日",
    "andCondition": "且",
    "orCondition": "或",
    "applyFilter": "应用",
    "resetFilter": "重置",
    "clearFilter": "清除",
    "cancelFilter": "取消",
    "textFilter": "文本筛选",
    "numberFilter": "数字筛选",
    "dateFilter": "日期筛选",
    "filterSummaryInactive": "为（全部）",
    "filterSummaryContains": "包含",
    "filterSummaryNotContains": "不包含",
    "filterSummaryTextEquals": "等于",
    "filterSummaryTextNotEqual": "不等于",
    "filterSummaryStartsWith": "开头是",
    "filterSummaryEndsWith": "结尾是",
    "filterSummaryBlank": "为空",
    "filterSummaryNotBlank": "不为空",
    "filterSummaryInRange": "介于",
    # Column menu.
    "columns": "列",
    "filters": "筛选",
    "columnFilter": "列筛选",
    "columnChooser": "选择列",
    "chooseColumns": "选择列",
    "pinColumn": "固定列",
    "pinLeft": "固定在左侧",
    "pinRight": "固定在右侧",
    "noPin": "取消固定",
    "autosizeThisColumn": "自动调整本列宽度",
    "autosizeAllColumns": "自动调整所有列宽度",
    "resetColumns": "重置列",
    "sortAscending": "升序",
    "sortDescending": "降序",
    "sortUnSort": "取消排序",
    "true": "是",
    "false": "否",
    "invalidDate": "无效日期",
    "invalidNumber": "无效数字",
    # Screen-reader labels.
    "ariaChecked": "已选中",
    "ariaUnchecked": "未选中",
    "ariaIndeterminate": "部分选中",
    "ariaColumn": "列",
    "ariaColumnFiltered": "列已筛选",
    "ariaFilterActive": "筛选已生效",
    "ariaColumnSelectAll": "切换所有列的显示",
    "ariaDefaultListName": "列表",
    "ariaFilterColumnsInput": "筛选列输入框",
    "ariaFilterFromValue": "筛选起始值",
    "ariaFilterToValue": "筛选结束值",
    "ariaFilterInput": "筛选输入框",
    "ariaFilterList": "筛选列表",
    "ariaFilterValue": "筛选值",
    "ariaFilterMenuOpen": "打开筛选菜单",
    "ariaFilteringOperator": "筛选条件",
    "ariaHidden": "已隐藏",
    "ariaVisible": "可见",
    "ariaMenuColumn": "按 Alt+下箭头 打开列菜单",
    "ariaFilterColumn": "按 Ctrl+回车 打开筛选",
    "ariaSortableColumn": "按回车排序",
    "ariaToggleVisibility": "按空格切换显示",
    "ariaSearch": "搜索",
    "ariaSearchFilterValues": "搜索筛选值",
    "ariaLabelColumnMenu": "列菜单",
    "ariaLabelColumnFilter": "列筛选",
    "ariaLabelDialog": "对话框",
    "thousandSeparator": ",",
    "decimalSeparator": ".",
}
