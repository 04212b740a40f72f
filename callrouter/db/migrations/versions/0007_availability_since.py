"""availability since and until: away lasts the stretch of shift it was set in, off the day

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows get none: their availability stands as it was until next changed.
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("availability_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("availability_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("availability_until")
        batch.drop_column("availability_since")
