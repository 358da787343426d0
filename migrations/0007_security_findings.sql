-- Security scanner findings (worker/security/): one row per finding, replaced
-- whole for a server whenever its catalog is scanned. Hand-written (issue 14).
CREATE TABLE `security_findings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`server_id` text NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`rule_id` text NOT NULL,
	`category` text NOT NULL,
	`severity` text NOT NULL,
	`severity_rank` integer NOT NULL,
	`field` text NOT NULL,
	`excerpt` text NOT NULL,
	`message` text NOT NULL,
	`analyzer` text NOT NULL,
	`entry_fingerprint` text NOT NULL,
	`found_at` text NOT NULL,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE INDEX `security_findings_server` ON `security_findings` (`tenant`,`server_id`,`kind`,`key`);--> statement-breakpoint
CREATE INDEX `security_findings_tenant` ON `security_findings` (`tenant`,`severity_rank`,`id`);
--> statement-breakpoint
-- Tool pinning (worker/security/pinning.ts): the approved definition of every
-- tool, and a pending one while a new or changed tool waits for an admin.
CREATE TABLE `tool_approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`server_id` text NOT NULL,
	`key` text NOT NULL,
	`status` text NOT NULL,
	`reason` text NOT NULL,
	`approved_fingerprint` text,
	`approved_definition` text,
	`pending_fingerprint` text,
	`pending_definition` text,
	`updated_at` text NOT NULL,
	`decided_by` text,
	`decided_at` text,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE UNIQUE INDEX `tool_approvals_server_key` ON `tool_approvals` (`server_id`,`key`);--> statement-breakpoint
CREATE INDEX `tool_approvals_tenant_status` ON `tool_approvals` (`tenant`,`status`,`updated_at`);
