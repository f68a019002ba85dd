# ruff: noqa: E501 - tables of names and templates read best one entry per line
"""Word pools for realistic Guangdong group-customer data. Plain constants, no Django.

Administrative division codes (GB/T 2260) are the real ones for the districts named, so credit
codes look like the ones a Guangdong account manager types every day."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class District:
    code: str  # region code, e.g. "GZ-TH"
    name: str  # 天河区
    name_en: str
    division: str  # GB/T 2260 code, the credit code's characters 3–8
    weight: float  # share of the city's district-level accounts
    streets: tuple[str, ...]


@dataclass(frozen=True)
class City:
    code: str
    name: str  # 广州 (without 市; names add it where Chinese usage does)
    name_en: str
    division: str
    weight: float  # share of the province's accounts
    districts: tuple[District, ...]


PROVINCE = ("GD", "广东省", "Guangdong", "440000")

CITIES: tuple[City, ...] = (
    City(
        "GZ", "广州", "Guangzhou", "440100", 0.26,
        (
            District("GZ-TH", "天河区", "Tianhe", "440106", 0.35, ("石牌", "天河南", "林和", "车陂")),
            District("GZ-YX", "越秀区", "Yuexiu", "440104", 0.25, ("北京街", "东山", "农林", "登峰")),
            District("GZ-HZ", "海珠区", "Haizhu", "440105", 0.2, ("赤岗", "新港", "江海", "琶洲")),
            District("GZ-PY", "番禺区", "Panyu", "440113", 0.2, ("市桥", "大石", "洛浦", "南村")),
        ),
    ),
    City(
        "SZ", "深圳", "Shenzhen", "440300", 0.26,
        (
            District("SZ-FT", "福田区", "Futian", "440304", 0.3, ("园岭", "莲花", "香蜜湖", "沙头")),
            District("SZ-NS", "南山区", "Nanshan", "440305", 0.3, ("粤海", "蛇口", "南头", "西丽")),
            District("SZ-BA", "宝安区", "Bao'an", "440306", 0.2, ("新安", "西乡", "福永", "沙井")),
            District("SZ-LG", "龙岗区", "Longgang", "440307", 0.2, ("布吉", "坂田", "横岗", "平湖")),
        ),
    ),
    City(
        "FS", "佛山", "Foshan", "440600", 0.13,
        (
            District("FS-CC", "禅城区", "Chancheng", "440604", 0.35, ("祖庙", "石湾", "张槎")),
            District("FS-NH", "南海区", "Nanhai", "440605", 0.35, ("桂城", "大沥", "狮山")),
            District("FS-SD", "顺德区", "Shunde", "440606", 0.3, ("大良", "容桂", "北滘")),
        ),
    ),
    City(
        "DG", "东莞", "Dongguan", "441900", 0.13,
        (
            District("DG-NC", "南城街道", "Nancheng", "441900", 0.4, ("白马", "宏图", "胜和")),
            District("DG-CA", "长安镇", "Chang'an", "441900", 0.3, ("厦边", "乌沙", "锦厦")),
            District("DG-SL", "松山湖", "Songshan Lake", "441900", 0.3, ("大学路", "工业南路")),
        ),
    ),
    City(
        "ZH", "珠海", "Zhuhai", "440400", 0.07,
        (
            District("ZH-XZ", "香洲区", "Xiangzhou", "440402", 0.7, ("拱北", "吉大", "前山")),
            District("ZH-JW", "金湾区", "Jinwan", "440404", 0.3, ("三灶", "红旗")),
        ),
    ),
    City(
        "HZ", "惠州", "Huizhou", "441300", 0.06,
        (
            District("HZ-HC", "惠城区", "Huicheng", "441302", 0.6, ("江北", "桥西", "河南岸")),
            District("HZ-HY", "惠阳区", "Huiyang", "441303", 0.4, ("淡水", "秋长")),
        ),
    ),
    City(
        "ZS", "中山", "Zhongshan", "442000", 0.05,
        (
            District("ZS-SQ", "石岐街道", "Shiqi", "442000", 0.5, ("悦来", "民生")),
            District("ZS-HJ", "火炬开发区", "Torch Zone", "442000", 0.5, ("濠头", "张家边")),
        ),
    ),
    City(
        "ST", "汕头", "Shantou", "440500", 0.04,
        (
            District("ST-JP", "金平区", "Jinping", "440511", 0.5, ("石炮台", "金厦")),
            District("ST-LH", "龙湖区", "Longhu", "440507", 0.5, ("珠池", "金霞")),
        ),
    ),
)  # fmt: skip

# Groups are headquartered where the headquarters are: mostly Guangzhou and Shenzhen.
GROUP_HQ_CITY_WEIGHTS = {"GZ": 0.45, "SZ": 0.4, "FS": 0.08, "DG": 0.07}

SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("罗", "luo"), ("高", "gao"), ("梁", "liang"), ("郑", "zheng"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("邓", "deng"), ("冯", "feng"), ("韩", "han"), ("曹", "cao"),
    ("曾", "zeng"), ("彭", "peng"), ("萧", "xiao"), ("蔡", "cai"), ("潘", "pan"), ("田", "tian"),
    ("董", "dong"), ("袁", "yuan"), ("于", "yu"), ("余", "yu"), ("叶", "ye"), ("蒋", "jiang"),
    ("杜", "du"), ("苏", "su"), ("魏", "wei"), ("程", "cheng"), ("吕", "lv"), ("丁", "ding"),
    ("沈", "shen"), ("任", "ren"), ("姚", "yao"), ("卢", "lu"), ("钟", "zhong"), ("姜", "jiang"),
    ("崔", "cui"), ("谭", "tan"), ("陆", "lu"), ("范", "fan"), ("汪", "wang"), ("廖", "liao"),
    ("邱", "qiu"), ("温", "wen"), ("莫", "mo"), ("麦", "mai"), ("冼", "xian"), ("区", "ou"),
)  # fmt: skip
GIVEN_CHARS = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "文", "辉", "建", "志", "国", "海",
    "晓", "红", "玲", "斌", "波", "宇", "浩", "凯", "鹏", "俊", "婷", "雪", "琳", "慧", "颖",
    "嘉", "欣", "子", "梓", "思", "家", "锦", "荣", "耀", "宏", "振", "永", "德", "佩", "珊",
)  # fmt: skip

# Trade names (字号): two characters from these make tens of thousands of plausible firms.
BRAND_FIRST = (
    "华", "信", "达", "恒", "盛", "佳", "腾", "隆", "鑫", "宏", "瑞", "安", "泰", "丰", "源",
    "嘉", "兴", "利", "通", "科", "创", "德", "美", "新", "金", "海", "宇", "天", "顺", "汇",
    "正", "远", "博", "明", "凯", "中", "粤", "南", "星", "辰", "富", "永", "荣", "万", "广",
)  # fmt: skip
BRAND_SECOND = (
    "达", "信", "通", "丰", "泰", "盛", "源", "联", "发", "邦", "捷", "诚", "迅", "益", "创",
    "华", "讯", "晟", "润", "锐", "航", "海", "业", "力", "拓", "旺", "成", "和", "弘", "乐",
    "智", "峰", "辉", "鸿", "翔", "运", "康", "禾", "景", "美", "洋", "源", "元", "威", "尚",
)  # fmt: skip

BANKS = (
    "中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行",
    "广发银行", "平安银行", "中信银行", "兴业银行", "浦发银行", "中国邮政储蓄银行",
)  # fmt: skip
INSURERS = ("中国人寿保险", "中国平安财产保险", "中国太平洋人寿保险", "中国人民财产保险")
SECURITIES = ("广发证券", "招商证券", "中信证券", "国信证券", "华泰证券")

BUREAUS = (
    "交通运输局", "公安局", "教育局", "人力资源和社会保障局", "住房和城乡建设局",
    "市场监督管理局", "卫生健康局", "生态环境局", "财政局", "商务局", "自然资源局",
    "城市管理和综合执法局", "应急管理局", "民政局", "水务局", "文化广电旅游体育局",
    "司法局", "统计局", "退役军人事务局", "医疗保障局", "政务服务数据管理局", "农业农村局",
)  # fmt: skip
BUREAU_UNITS = ("", "", "", "办公室", "信息中心", "执法支队", "服务中心", "档案馆")

ORG_DEPARTMENTS = {
    "enterprise": (
        "总经理办公室", "财务部", "销售部", "市场部", "技术部", "信息部", "人力资源部",
        "采购部", "生产部", "物流中心", "客服中心", "行政部",
    ),
    "government": ("办公室", "政策法规科", "信息中心", "财务科", "执法大队", "综合科", "人事科"),
    "public_institution": (
        "院长办公室", "信息科", "财务科", "总务科", "医务科", "教务处", "后勤处", "宣传科",
    ),
    "non_profit": ("秘书处", "会员部", "财务部", "项目部", "综合部"),
}  # fmt: skip

TITLES = {
    # role → titles by org_kind
    "decision_maker": {
        "enterprise": ("董事长", "总经理", "副总经理", "首席执行官", "分公司总经理"),
        "government": ("局长", "副局长", "主任", "党组书记"),
        "public_institution": ("院长", "校长", "副院长", "副校长", "主任"),
        "non_profit": ("会长", "秘书长", "理事长"),
    },
    "influencer": {
        "enterprise": ("副总经理", "运营总监", "总经理助理", "销售总监"),
        "government": ("办公室主任", "科长", "副主任"),
        "public_institution": ("办公室主任", "总务科长", "教务处长"),
        "non_profit": ("副会长", "副秘书长"),
    },
    "it_lead": {
        "enterprise": ("信息部经理", "首席信息官", "IT主管", "技术总监"),
        "government": ("信息中心主任", "信息科科长"),
        "public_institution": ("信息科科长", "网络中心主任"),
        "non_profit": ("信息主管",),
    },
    "finance": {
        "enterprise": ("财务总监", "财务经理", "会计主管"),
        "government": ("财务科科长", "计财科科长"),
        "public_institution": ("财务科科长", "总会计师"),
        "non_profit": ("财务主管",),
    },
    "user": {
        "enterprise": ("行政主管", "办公室文员", "采购专员", "客服主管"),
        "government": ("科员", "综合科职员"),
        "public_institution": ("科员", "后勤主管"),
        "non_profit": ("项目专员", "干事"),
    },
    "champion": {
        "enterprise": ("行政经理", "总经理助理", "信息部副经理"),
        "government": ("办公室副主任", "信息中心副主任"),
        "public_institution": ("信息科副科长", "办公室副主任"),
        "non_profit": ("副秘书长",),
    },
}  # fmt: skip

CARE_NOTES = (
    "喜欢喝功夫茶", "关注孩子升学", "周末打羽毛球", "不喝酒", "喜欢钓鱼", "重视书面方案",
    "偏好电话沟通", "关注数据安全", "热心行业协会活动", "午休时间勿打扰", "喜欢粤剧",
    "爱好摄影", "跑马拉松", "看重长期合作", "对价格敏感",
)  # fmt: skip

MOBILE_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
    "172", "178", "182", "183", "184", "187", "188", "195", "197", "198",
)  # fmt: skip

ACTIVITY_SUBJECTS = {
    "visit": (
        "上门拜访，了解年度信息化规划", "走访客户，回访专线使用情况", "拜访关键人，沟通续约",
        "现场勘查机房及网络环境", "陪同解决方案经理上门交流", "节前走访慰问",
    ),
    "call": (
        "电话回访满意度", "电话沟通账单疑问", "确认合同续签时间", "电话跟进投诉处理结果",
        "电话邀约参加行业沙龙", "通知套餐调整",
    ),
    "meeting": (
        "召开季度服务例会", "移动办公方案交流会", "专线扩容需求评审会", "物联网试点项目启动会",
        "年度合作框架洽谈", "集团总部一点受理协调会",
    ),
    "email": (
        "发送专线报价", "发送解决方案建议书", "发送季度服务报告", "邮件确认变更工单",
        "发送续约合同草稿",
    ),
    "care": (
        "生日问候及礼品", "春节慰问", "中秋节慰问月饼", "教师节问候", "周年庆贺信",
        "关键人升职祝贺",
    ),
}  # fmt: skip
ACTIVITY_OUTCOMES = (
    "客户认可方案，待内部审批", "客户暂无新需求", "客户对网络质量提出改进意见",
    "已确认续约意向", "客户希望降低资费", "竞争对手在接触，需要加强维系", "客户表示满意",
    "需要技术支持跟进", "",
)  # fmt: skip
NEXT_STEPS = (
    "提交正式报价", "安排技术交流", "跟进审批进度", "组织现场测试", "准备续约合同",
    "邀请参加客户答谢会", "上报区域经理协调资源",
)  # fmt: skip

SERVICE_TITLES = {
    "request": (
        "专线带宽扩容", "新增集团短号成员", "开通企业邮箱账号", "变更账单寄送地址",
        "申请物联网卡测试", "移动办公账号开通", "IDC机柜续租", "开具增值税发票",
    ),
    "complaint": (
        "专线中断超过两小时", "网络延迟高影响业务", "账单金额与合同不符", "故障报修响应慢",
        "集团彩铃未按时生效", "成员号码被误停机", "客户经理联系不上", "宽带频繁掉线",
    ),
}  # fmt: skip
RESOLUTIONS = (
    "已派单处理，故障恢复", "已核实并退还差额", "已完成配置变更", "已与客户确认解决",
    "已升级至省公司处理完毕",
)  # fmt: skip
