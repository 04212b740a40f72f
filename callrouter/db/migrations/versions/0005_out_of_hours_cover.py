"""out-of-hours cover: a task may ask for the Emergency Duty Team when the office cannot make it

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows get false: only call-backs created from now on carry their flow's wish.
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("out_of_hours_cover", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("out_of_hours_cover")
