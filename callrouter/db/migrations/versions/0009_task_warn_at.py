"""task warn_at: the at-risk warning time, worked out with the level's timescale

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing tasks get none and are warned as before, at a share of their clock time.
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("warn_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("warn_at")
