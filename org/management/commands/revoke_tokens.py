from django.core.management.base import BaseCommand, CommandError

from org.models import User
from org.services import user_tokens_revoke


class Command(BaseCommand):
    help = "Revoke every bearer token of a user."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"Unknown user: {opts['username']}")
        self.stdout.write(f"revoked {user_tokens_revoke(user=user)} token(s)")
