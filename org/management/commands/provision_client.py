from django.core.management.base import BaseCommand

from org.services import machine_client_provision, machine_client_revoke


class Command(BaseCommand):
    help = "Issue API credentials for a machine client (the billing system). Prints the key once."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("name")
        parser.add_argument("--scope", action="append", dest="scopes", default=None)
        parser.add_argument("--days", type=int, default=None, help="key lifetime in days")
        parser.add_argument("--revoke", action="store_true", help="revoke every key of the client")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        if opts["revoke"]:
            count = machine_client_revoke(name=opts["name"])
            self.stderr.write(f"revoked {count} key(s) of {opts['name']}")
            return
        issued = machine_client_provision(
            name=opts["name"], scopes=tuple(opts["scopes"] or ["billing"]), ttl_days=opts["days"]
        )
        expiry = f"{issued.expires_at:%Y-%m-%d}" if issued.expires_at else "never"
        self.stderr.write(
            f"client {issued.client.username}, key prefix {issued.key_prefix}, expires {expiry}\n"
            "send it as the header  Authorization: Api-Key <key>"
        )
        self.stdout.write(issued.key)
