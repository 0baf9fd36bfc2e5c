"""The workflow: state machine, applications, audit, deadlines, penalties, documents, 亩均 evaluation."""
