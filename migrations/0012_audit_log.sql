-- Issue 14, the readable audit log: indexes for the filters of
-- GET /api/v1/audit (each with the tenant first and time last, so a filtered
-- page is one index range read newest first), and the per-server choice of
-- what the audit log keeps of tool-call arguments.
ALTER TABLE `servers` ADD `audit_arguments` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
CREATE INDEX `audit_events_category` ON `audit_events` (`tenant`,`category`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `audit_events_server_id` ON `audit_events` (`tenant`,`server_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `audit_events_server_path` ON `audit_events` (`tenant`,`server_path`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `audit_events_tool` ON `audit_events` (`tenant`,`tool`,`occurred_at`);
