"""Imports every feature's models so that ``db.metadata`` knows all tables
(for Alembic's autogenerate and for tests that build the schema)."""

from outreach.accounts import models as accounts_models  # noqa: F401
from outreach.audit import models as audit_models  # noqa: F401
from outreach.checkin import models as checkin_models  # noqa: F401
from outreach.conferences import models as conferences_models  # noqa: F401
from outreach.documents import models as documents_models  # noqa: F401
from outreach.mail import models as mail_models  # noqa: F401
from outreach.plans import models as plans_models  # noqa: F401
from outreach.privacy import models as privacy_models  # noqa: F401
from outreach.registration import models as registration_models  # noqa: F401
from outreach.reports import models as reports_models  # noqa: F401
from outreach.security import models as security_models  # noqa: F401
