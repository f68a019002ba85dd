# Data: the nine business modules of DOMAIN.md §6 (fixed codes, two layers).
from django.db import migrations

MODULES = [
    # code, layer, scope, name, name_en
    ("transmission", "basic", "", "信息传输", "Information transmission"),
    ("terminal_access", "basic", "", "终端与网络接入", "Terminal and network access"),
    ("it_infrastructure", "basic", "", "基础IT系统", "Basic IT systems"),
    ("finance", "application", "internal", "财务管理", "Financial management"),
    ("office", "application", "internal", "办公管理(OA)", "Office (OA)"),
    ("hr", "application", "internal", "人力资源管理", "Human resources"),
    ("production", "application", "internal", "生产与流程管理", "Production and work processes"),
    ("customer_mgmt", "application", "external", "客户关系管理(CRM)", "Customer management (CRM)"),
    ("partner_mgmt", "application", "external", "合作伙伴管理(PRM)", "Partner management (PRM)"),
]


def seed(apps, schema_editor):
    SolutionModule = apps.get_model("solutions", "SolutionModule")
    for order, (code, layer, scope, name, name_en) in enumerate(MODULES, start=1):
        SolutionModule.objects.update_or_create(
            code=code,
            defaults={
                "layer": layer,
                "scope": scope,
                "name": name,
                "name_en": name_en,
                "sort_order": order,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("solutions", "SolutionModule").objects.filter(
        code__in=[m[0] for m in MODULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("solutions", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
