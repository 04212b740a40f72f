"""task indexes: open tasks by status, and each person's call-backs by when they were given

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_status", "tasks", ["status"])
    op.create_index("ix_tasks_assignee_id_allocated_at", "tasks", ["assignee_id", "allocated_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_assignee_id_allocated_at", table_name="tasks")
    op.drop_index("ix_tasks_status", table_name="tasks")
