"""escalation cover_ends_at: an at-risk warning raised because cover ends before the deadline

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing warnings were raised at a share of their time, as before: none.
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("cover_ends_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("cover_ends_at")
