// The audit trail (docs/audit-trail.md).
