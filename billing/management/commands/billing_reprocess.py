from django.core.management.base import BaseCommand, CommandError

from billing import services
from billing.models import IngestBatch


class Command(BaseCommand):
    help = "Apply quarantined bill-line records again once reference data has been fixed."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--batch", type=int, help="One batch id.")
        target.add_argument(
            "--all-open", action="store_true", help="Every batch with open records."
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["batch"] is not None:
            if not IngestBatch.objects.filter(pk=options["batch"]).exists():
                raise CommandError(f"No batch {options['batch']}.")
            batch_ids = [options["batch"]]
        else:
            batch_ids = services.open_quarantine_batch_ids()
        for batch_id in batch_ids:
            result = services.batch_reprocess(batch_id=batch_id)
            self.stdout.write(
                f"batch {batch_id}: examined {result.examined}, applied {result.applied} "
                f"(inserted {result.inserted}, corrected {result.corrected}), superseded "
                f"{result.superseded}, still open {result.still_open}"
            )
