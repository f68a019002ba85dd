from django.core.management.base import BaseCommand, CommandError

from org.models import Region, User
from org.services import user_provision, user_token_issue


class Command(BaseCommand):
    help = "Create or update a staff user; with --token print a bearer token for scripts."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            required=True,
            choices=[r for r in User.Role.values if r != User.Role.BILLING_CLIENT],
        )
        parser.add_argument("--region", help="region code (required for regional managers)")
        parser.add_argument("--password", help="set a login password")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--token", action="store_true", help="print a new bearer token")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        region = None
        if opts["region"]:
            region = Region.objects.filter(code=opts["region"]).first()
            if region is None:
                raise CommandError(f"Unknown region code: {opts['region']}")
        try:
            user, created = user_provision(
                username=opts["username"],
                role=opts["role"],
                region=region,
                password=opts["password"],
                display_name=opts["display_name"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "created" if created else "updated"
        self.stderr.write(f"{verb} {user.username} ({user.role})")
        if opts["token"]:
            instance, token = user_token_issue(user=user)
            self.stderr.write(f"token expires at {instance.expiry:%Y-%m-%d %H:%M %Z}")
            self.stdout.write(token)
