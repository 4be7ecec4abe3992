"""The web app's two languages: English text is the key, zh-CN its translation; numbers and dates
formatted for the page's language."""

from __future__ import annotations

from datetime import datetime

LANGS = ("zh-CN", "en")
ZH: dict[str, str] = {
    "Policies": "考核方案", "Evaluations": "考核结果", "Run a period": "执行考核", "What-if": "方案模拟",
    "Audit log": "审计日志", "Sign in": "登录", "Sign out": "退出登录", "Token": "令牌",
    "Signed in as": "当前用户", "Language": "语言", "Title": "名称", "Version": "版本", "Effective": "生效期间",
    "Valid": "有效", "Not valid": "无效", "File": "文件", "Problems": "问题", "Indicators": "指标",
    "Roles": "岗位", "Weights": "权重", "History": "历史版本", "Commit": "提交", "Date": "日期",
    "Author": "作者", "Subject": "说明", "Source": "源文件", "Policy": "方案", "Period": "考核周期",
    "Data file": "数据文件", "Read periods": "读取周期", "Evaluate": "开始考核", "Evaluating…": "正在计算…",
    "Progress": "进度",
    "Uploading…": "正在上传…", "Summary": "概况", "Rated": "已评级", "Not rated": "未评级", "Errors": "错误",
    "Error": "错误", "Absent": "不在数据中",
    "Rows": "行数", "Grade distribution": "等级分布", "Quota checks": "配额检查", "Teams": "团队",
    "Team": "团队", "Role": "岗位", "Grade": "等级", "Status": "状态", "Final": "最终得分",
    "Employee": "员工", "Name": "姓名", "Employees": "员工", "Filter": "筛选", "All": "全部",
    "Previous": "上一页", "Next": "下一页", "Page": "页", "of": "/", "Downloads": "下载",
    "Reasons": "原因", "Members": "人数", "Team score": "团队得分", "Coefficient": "系数",
    "Indicator": "指标", "Actual": "实际值", "Target": "目标值", "Achievement": "达成率", "Score": "得分",
    "Label": "名称", "Formula": "公式", "Scale": "计分方式",
    "Weight": "权重", "Points": "加权得分", "Bonuses": "加分项", "Deductions": "减分项", "Veto": "否决项",
    "Individual": "个人得分", "Pay coefficient": "绩效系数", "Explanation": "计算过程", "Trend": "历次结果",
    "Created": "创建时间", "By": "创建人", "Open": "打开", "Nothing here yet.": "暂无内容。",
    "Allowed": "允许", "Holders": "人数", "Required": "要求", "Over": "超出", "Met": "满足", "Not met": "未满足",
    "Group": "分组", "Policy YAML": "方案 YAML", "Validate": "校验", "Compare": "比较",
    "Base evaluation": "基准考核结果", "Simple changes": "常用修改", "Field (YAML path)": "字段(YAML 路径)",
    "New value": "新值", "Apply": "应用", "Grade transitions": "等级变化矩阵", "Before": "之前", "After": "之后",
    "Changed": "有变化", "Pay-coefficient sum": "绩效系数合计", "By team": "按团队", "By role": "按岗位",
    "Mean": "平均", "Median": "中位数", "Largest": "最大", "Download policy": "下载新方案",
    "Download Markdown diff": "下载 Markdown 对比", "No problems.": "没有问题。", "Line": "行",
    "Seq": "序号", "At": "时间", "Actor": "操作人", "Action": "操作", "Object": "对象",
    "Chain verified": "审计链校验通过", "Chain broken at": "审计链损坏于", "Entries": "条目",
    "Not found": "未找到", "Not allowed": "无权访问", "Sign-in required": "需要登录",
    "Something went wrong": "出错了", "Back to the start": "返回首页", "Sort": "排序",
    "Token not accepted.": "令牌无效。", "The page has expired; try again.": "页面已过期,请重试。",
    "Changed employees": "等级或得分变化的员工", "Delta": "变化", "Status code": "状态码", "Sorted by": "排序方式",
    "Failed to load": "加载失败", "Apply filter": "应用筛选", "Change": "变化",
    "The first": "前", "Newer": "较新", "Older": "较早", "From": "起始日期", "To": "截止日期",
    "Object contains": "对象包含", "Verify the whole chain again": "重新校验整条审计链",
    "filter the table by status for the others.": "其余请在员工表中按状态筛选。",
    "More options": "更多选项", "Header row": "表头所在行", "Sheet": "工作表", "Encoding": "文件编码",
    "Automatic": "自动识别", "Column mappings": "列名对应",
    "How to read the data file, when its first row does not hold the column names the policy uses.":
        "数据文件的第一行不是方案所用的列名时,在这里说明如何读取。",
    "The row that holds the column names (2 when a title is above them).": "列名所在的行(上方有标题行时填 2)。",
    "XLSX only: the sheet to read; empty for the first sheet.": "仅用于 XLSX:要读取的工作表;留空则读取第一个工作表。",
    "CSV only: the file's text encoding; Automatic reads UTF-8, else the usual Chinese and Windows encodings.":
        "仅用于 CSV:文件的文字编码;自动识别先按 UTF-8 读取,否则按常见的中文和 Windows 编码读取。",
    "One NAME=HEADER per line: the policy's column name, then the file's header, e.g. paid_users=付费用户.":
        "每行一条 NAME=HEADER:先写方案中的列名,再写文件中的表头,例如 paid_users=付费用户。",
    "Fill Column mappings under More options: one NAME=HEADER per line.":
        "请在“更多选项”的“列名对应”中填写,每行一条 NAME=HEADER。",
    "Set Header row under More options to the row that holds the column names.":
        "请在“更多选项”中把“表头所在行”设为列名所在的行。",
    # the what-if page's simple controls
    "Floor": "保底值", "Stretch": "挑战值", "Lowest final score": "最低最终得分", "Largest share": "最高占比",
    "Smallest share": "最低占比", "Band from": "档位起点", "Band score": "档位得分", "Points to add": "加分分值",
    "Points to take off": "扣分分值",
}


def pick(requested: str | None, cookie: str | None, default: str | None) -> str:
    for lang in (requested, cookie, default):
        if lang in LANGS:
            return str(lang)
    return "en"


STATUS = {"rated": "Rated", "not_rated": "Not rated", "error": "Error",  # a row's status code, as a word
          "absent": "Absent"}  # (a what-if's row missing from one side's data)


def status(code: object) -> str:
    return STATUS.get(str(code), str(code))


def translate(lang: str, text: str) -> str:
    return ZH.get(text, text) if lang == "zh-CN" else text


def number(value: object, decimals: int = 2) -> str:
    """Grouped thousands, at most `decimals` places, no trailing zeros (both languages group by 3)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def percent(value: object) -> str:
    return "—" if not isinstance(value, (int, float)) else f"{number(value * 100, 1)}%"


def when(lang: str, iso: object) -> str:
    """An ISO timestamp as the language writes dates, in UTC."""
    if not isinstance(iso, str) or not iso:
        return "—"
    try:
        at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if lang == "zh-CN":
        return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M} UTC"
    return f"{at:%d %b %Y %H:%M} UTC"
