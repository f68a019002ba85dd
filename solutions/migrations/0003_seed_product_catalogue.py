# Data: the product catalogue a telecom group-customer department bills (product_code is the code
# the billing system sends). Later changes go through the admin or solutions.services.product_save.
from django.db import migrations

PRODUCTS = [
    # product_code, name, name_en, module
    ("DL-DIA", "互联网专线", "Dedicated internet access", "transmission"),
    ("DL-MPLS", "数据专线(MPLS VPN)", "MPLS VPN private line", "transmission"),
    ("DL-SDH", "传输专线(SDH)", "SDH transmission line", "transmission"),
    ("DL-OTN", "OTN精品专线", "OTN premium line", "transmission"),
    ("NET-SDWAN", "SD-WAN组网", "SD-WAN networking", "transmission"),
    ("VN-VPMN", "集团V网", "Group V-net (VPMN)", "transmission"),
    ("VN-SHORTNUM", "集团短号", "Group short numbers", "transmission"),
    ("VOICE-IMS", "IMS固话", "IMS fixed voice", "transmission"),
    ("VOICE-400", "400客服热线", "400 service hotline", "transmission"),
    ("SMS-GROUP", "集团短信", "Group SMS", "transmission"),
    ("SMS-INDUSTRY", "行业短信", "Industry SMS trunk", "transmission"),
    ("MMS-INDUSTRY", "行业彩信", "Industry MMS trunk", "transmission"),
    ("RBT-GROUP", "集团彩铃", "Group colour ring-back tone", "transmission"),
    ("BB-ENT", "企业宽带", "Enterprise broadband", "terminal_access"),
    ("BB-FTTO", "商务光纤(FTTO)", "Business fibre (FTTO)", "terminal_access"),
    ("IOT-CARD", "物联网卡", "IoT SIM card", "terminal_access"),
    ("IOT-MODULE", "物联网模组(M2M)", "M2M module", "terminal_access"),
    ("WLAN-ENT", "企业WLAN", "Enterprise WLAN", "terminal_access"),
    ("WLAN-PUBLIC", "公共WLAN(PWLAN)", "Public WLAN (PWLAN)", "terminal_access"),
    ("DATA-CARD", "无线上网卡", "Mobile data card", "terminal_access"),
    ("5G-PRIVATE", "5G行业专网", "5G private network", "terminal_access"),
    ("IDC-RACK", "IDC机柜租用", "IDC rack rental", "it_infrastructure"),
    ("IDC-BW", "IDC带宽", "IDC bandwidth", "it_infrastructure"),
    ("CLOUD-ECS", "云主机", "Cloud server", "it_infrastructure"),
    ("CLOUD-OSS", "对象存储", "Object storage", "it_infrastructure"),
    ("CLOUD-DR", "云备份与灾备", "Cloud backup and disaster recovery", "it_infrastructure"),
    ("SEC-DDOS", "DDoS防护", "DDoS protection", "it_infrastructure"),
    ("IT-MANAGED", "IT运维外包", "Managed IT services", "it_infrastructure"),
    ("IT-CONSULT", "信息化咨询与集成", "IT consulting and integration", "it_infrastructure"),
    ("FIN-CLOUD", "财务云", "Finance cloud", "finance"),
    ("FIN-EINVOICE", "电子发票", "E-invoicing", "finance"),
    ("FIN-EXPENSE", "移动报销", "Mobile expense claims", "finance"),
    ("OA-MOBILE", "移动办公OA", "Mobile office (OA)", "office"),
    ("OA-PUSHMAIL", "企业邮箱PushMail", "Corporate PushMail", "office"),
    ("OA-VIDEOCONF", "视频会议", "Video conferencing", "office"),
    ("OA-CONFCALL", "电话会议", "Conference calls", "office"),
    ("OA-DIRECTORY", "集团通讯录", "Group address book", "office"),
    ("OA-CLOUDDISK", "企业云盘", "Corporate cloud drive", "office"),
    ("OA-NOTICE", "集团公告与日程", "Notices and schedules", "office"),
    ("HR-SAAS", "HR SaaS", "HR SaaS", "hr"),
    ("HR-ATTEND", "移动考勤", "Mobile attendance", "hr"),
    ("HR-ELEARN", "在线培训", "E-learning", "hr"),
    ("PROD-LBS", "车辆定位LBS", "Vehicle location (LBS)", "production"),
    ("PROD-ASSET", "资产监控", "Asset monitoring", "production"),
    ("PROD-VIDEO", "视频监控", "Video surveillance", "production"),
    ("PROD-INSPECT", "移动巡检", "Mobile inspection", "production"),
    ("PROD-SMARTCARD", "智能一卡通", "Smart card (campus/site)", "production"),
    ("PROD-METER", "远程抄表", "Remote meter reading", "production"),
    ("CRM-SFA", "SFA/FFA外勤销售", "Sales and field force automation (SFA/FFA)", "customer_mgmt"),
    ("CRM-SAAS", "客户关系管理CRM", "CRM SaaS", "customer_mgmt"),
    ("CRM-CONTACT", "云呼叫中心", "Cloud contact centre", "customer_mgmt"),
    ("CRM-MKT", "精准营销平台", "Targeted marketing platform", "customer_mgmt"),
    ("PAY-MOBILE", "移动支付", "Mobile payment", "customer_mgmt"),
    ("PRM-DMS", "经销商管理", "Dealer management (DMS)", "partner_mgmt"),
    ("PRM-SCM", "供应链协同", "Supply-chain collaboration", "partner_mgmt"),
    ("PRM-EPROC", "电子采购", "E-procurement", "partner_mgmt"),
    ("PRM-LOGISTICS", "物流跟踪", "Logistics tracking", "partner_mgmt"),
]


def seed(apps, schema_editor):
    SolutionModule = apps.get_model("solutions", "SolutionModule")
    Product = apps.get_model("solutions", "Product")
    modules = dict(SolutionModule.objects.values_list("code", "id"))
    for code, name, name_en, module in PRODUCTS:
        Product.objects.update_or_create(
            product_code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "module_id": modules[module],
                "active": True,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("solutions", "Product").objects.filter(
        product_code__in=[p[0] for p in PRODUCTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("solutions", "0002_seed_nine_modules")]

    operations = [migrations.RunPython(seed, unseed)]
