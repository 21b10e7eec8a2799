"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
% if context.get("initial", False):
from chaupal.migrations.search import create_search_index, drop_search_index
% endif

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
% if context.get("initial", False):
    create_search_index()
% endif


def downgrade() -> None:
% if context.get("initial", False):
    drop_search_index()
% endif
    ${downgrades if downgrades else "pass"}
