"""Seed pretix for the peer benchmark; run by the pretix virtualenv's Python, never by the app's.

    PRETIX_CONFIG_FILE=… DJANGO_SETTINGS_MODULE=pretix_bench_settings PYTHONPATH=bench/peer \
        <pretix venv>/bin/python -m pretix_bench_seed <orders> <folder>

Through pretix's own models (the ORM; bulk inserts for the orders and their positions): one
organizer, one live event that started an hour ago, one admission product, one check-in list of
all products, ``<orders>`` paid orders of one position each (each with its own 32-character
ticket secret, as pretix's default secret generator makes them), and a team with check-in
permission on the event and an API token. Writes ``<folder>/secrets.txt`` (one secret a line)
and ``<folder>/seed.json`` (organizer slug, list id, token).
"""

from __future__ import annotations

import datetime as dt
import json
import string
import sys
from decimal import Decimal
from pathlib import Path

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402
from pretix.base.models import CheckinList  # noqa: E402
from pretix.base.models import Event  # noqa: E402
from pretix.base.models import Item  # noqa: E402
from pretix.base.models import Order  # noqa: E402
from pretix.base.models import OrderPosition  # noqa: E402
from pretix.base.models import Organizer  # noqa: E402
from pretix.base.models import Team  # noqa: E402
from pretix.base.models import TeamAPIToken  # noqa: E402

BATCH = 2000
SECRET_CHARS = string.ascii_lowercase + string.digits  # pretix's "random" secret generator's
PSEUDONYM_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ3789"  # as OrderPosition.assign_pseudonymization_id


def seed(orders: int, folder: Path) -> dict:
    now = dt.datetime.now(dt.UTC)
    with scopes_disabled(), transaction.atomic():
        organizer = Organizer.objects.create(name="Outreach bench", slug="bench")
        event = Event.objects.create(
            organizer=organizer,
            name="Bench conference",
            slug="conf",
            currency="EUR",
            date_from=now - dt.timedelta(hours=1),
            date_to=now + dt.timedelta(hours=6),
            live=True,
        )
        item = Item.objects.create(
            event=event, name="Delegate", default_price=Decimal("0.00"), admission=True
        )
        checkin_list = CheckinList.objects.create(event=event, name="Main door", all_products=True)
        channel = organizer.sales_channels.get(identifier="web")

        secrets: list[str] = []
        seen: set[str] = set()
        pseudonyms: set[str] = set()
        for start in range(0, orders, BATCH):
            count = min(BATCH, orders - start)
            order_rows = [
                Order(
                    code=f"B{start + i:07d}",
                    status=Order.STATUS_PAID,
                    event=event,
                    organizer=organizer,
                    email=f"delegate{start + i}@example.org",
                    locale="en",
                    datetime=now - dt.timedelta(days=1),
                    expires=now + dt.timedelta(days=1),
                    total=Decimal("0.00"),
                    sales_channel=channel,
                )
                for i in range(count)
            ]
            created = Order.objects.bulk_create(order_rows)
            if any(order.pk is None for order in created):  # SQLite returns ids; say so if not
                codes = [order.code for order in order_rows]
                created = list(Order.objects.filter(event=event, code__in=codes).order_by("code"))
            position_rows = []
            for i, order in enumerate(created):
                secret = get_random_string(32, SECRET_CHARS)
                while secret in seen:
                    secret = get_random_string(32, SECRET_CHARS)
                seen.add(secret)
                pseudonym = get_random_string(10, PSEUDONYM_CHARS)
                while pseudonym in pseudonyms:
                    pseudonym = get_random_string(10, PSEUDONYM_CHARS)
                pseudonyms.add(pseudonym)
                secrets.append(secret)
                name = f"Delegate {start + i}"
                position_rows.append(
                    OrderPosition(
                        order=order,
                        organizer=organizer,
                        positionid=1,
                        item=item,
                        price=Decimal("0.00"),
                        tax_rate=Decimal("0.00"),
                        tax_value=Decimal("0.00"),
                        attendee_name_parts={"_scheme": "full", "full_name": name},
                        attendee_name_cached=name,
                        secret=secret,
                        pseudonymization_id=pseudonym,
                    )
                )
            OrderPosition.all.bulk_create(position_rows)

        team = Team.objects.create(
            organizer=organizer,
            name="Door staff",
            all_events=True,
            limit_event_permissions={"event.orders:checkin": True},
        )
        token = TeamAPIToken.objects.create(team=team, name="bench scanner")

    (folder / "secrets.txt").write_text("\n".join(secrets) + "\n", encoding="ascii")
    facts = {
        "organizer": organizer.slug,
        "event": event.slug,
        "list_id": checkin_list.pk,
        "token": token.token,
        "orders": orders,
    }
    (folder / "seed.json").write_text(json.dumps(facts), encoding="utf-8")
    return facts


if __name__ == "__main__":
    seed(int(sys.argv[1]), Path(sys.argv[2]))
