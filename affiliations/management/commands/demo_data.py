"""Demo data: structures, services and the demo accounts (idempotent).

Run it as often as you like: it creates what is missing and resets the demo
accounts' passwords to the ones written in the README.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from affiliations.identifiers import IdentifierType, with_luhn_key
from affiliations.models import (
    Affiliation,
    AffiliationStatus,
    Role,
    Service,
    Structure,
    StructureKind,
)
from mfa.services import email_device_for

DEMO_PASSWORD = "Chorus-Demo-2026!"

PUBLIC_STRUCTURE = {
    "identifier": with_luhn_key("1100000100001"),
    "company_name": "Direction régionale des finances publiques d'Occitanie",
    "kind": StructureKind.PUBLIC,
    "street": "34 rue des Lois",
    "postal_code": "31000",
    "city": "Toulouse",
    "service_code_required": True,
    "engagement_number_required": True,
}
PRIVATE_STRUCTURES = [
    {
        "identifier": with_luhn_key("5423100000001"),
        "company_name": "Ateliers Durand SARL",
        "kind": StructureKind.PRIVATE,
        "street": "12 avenue de la Gare",
        "postal_code": "69002",
        "city": "Lyon",
    },
    {
        "identifier": with_luhn_key("8801234500001"),
        "company_name": "Informatique Éléonore SAS",
        "kind": StructureKind.PRIVATE,
        "street": "5 quai de la Fosse",
        "postal_code": "44000",
        "city": "Nantes",
    },
]
SERVICE_NAMES = [
    "Achats",
    "Comptabilité",
    "Ressources humaines",
    "Informatique",
    "Immobilier",
    "Logistique",
    "Communication",
    "Juridique",
    "Contrôle de gestion",
    "Archives",
    "Formation",
    "Paie",
    "Marchés publics",
    "Trésorerie",
    "Recouvrement",
    "Cadastre",
    "Domaines",
    "Fiscalité des entreprises",
    "Fiscalité des particuliers",
    "Contentieux",
    "Audit interne",
    "Qualité",
    "Sécurité",
    "Accueil",
    "Courrier",
    "Affaires générales",
    "Action sociale",
    "Médecine de prévention",
    "Documentation",
    "Études et statistiques",
]
USERS = [
    ("manager@demo.chorus-pro.local", "Claire", "Martin", False),
    ("user@demo.chorus-pro.local", "Hugo", "Bernard", False),
    ("staff@demo.chorus-pro.local", "Inès", "Petit", True),
]


class Command(BaseCommand):
    help = "Create the demo structures, services and accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        public, _ = Structure.objects.update_or_create(
            identifier_type=IdentifierType.SIRET,
            identifier=PUBLIC_STRUCTURE["identifier"],
            defaults=PUBLIC_STRUCTURE,
        )
        for index, name in enumerate(SERVICE_NAMES, start=1):
            Service.objects.update_or_create(
                structure=public,
                code=f"SERV{index:03d}",
                defaults={"name": name, "description": f"Service {name.lower()}"},
            )
        companies = []
        for data in PRIVATE_STRUCTURES:
            company, _ = Structure.objects.update_or_create(
                identifier_type=IdentifierType.SIRET,
                identifier=data["identifier"],
                defaults=data,
            )
            companies.append(company)
        # The demo's own structures only: on a database at full size, validating
        # every structure would read a million rows.
        for structure in (public, *companies):
            structure.full_clean()

        User = get_user_model()
        for email, first_name, last_name, staff in USERS:
            user, _ = User.objects.get_or_create(email=email)
            user.first_name = first_name
            user.last_name = last_name
            user.is_staff = staff
            user.is_superuser = staff
            user.is_active = True
            user.set_password(DEMO_PASSWORD)
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            email_device_for(user)

        # The manager is the main manager of the public structure and of the
        # first company, unless someone else already holds that role.
        manager = User.objects.get(email=USERS[0][0])
        for structure in (public, companies[0]):
            holder = Affiliation.objects.filter(
                structure=structure, role=Role.MAIN_MANAGER, status=AffiliationStatus.ACTIVE
            ).first()
            if holder is None:
                Affiliation.objects.filter(
                    user=manager, structure=structure, status=AffiliationStatus.ACTIVE
                ).update(status=AffiliationStatus.DELETED)
                Affiliation.objects.create(
                    user=manager, structure=structure, role=Role.MAIN_MANAGER, whole_structure=True
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Structure.objects.count()} structures, "
                f"{Service.objects.count()} services, {len(USERS)} demo accounts."
            )
        )
