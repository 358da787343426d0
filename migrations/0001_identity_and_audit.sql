CREATE TABLE `audit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`occurred_at` text NOT NULL,
	`request_id` text NOT NULL,
	`category` text NOT NULL,
	`subject` text,
	`issuer` text,
	`server_id` text,
	`server_path` text,
	`method` text,
	`tool` text,
	`decision` text NOT NULL,
	`reason` text,
	`outcome` text NOT NULL,
	`upstream_status` integer,
	`duration_ms` integer,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_events_time` ON `audit_events` (`tenant`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `audit_events_subject` ON `audit_events` (`tenant`,`subject`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `scope_configs` (
	`tenant` text PRIMARY KEY NOT NULL,
	`document` text NOT NULL,
	`revision` integer NOT NULL,
	`updated_at` text NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `vended_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`subject` text NOT NULL,
	`name` text NOT NULL,
	`scopes` text NOT NULL,
	`groups` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE INDEX `vended_tokens_owner` ON `vended_tokens` (`tenant`,`subject`,`created_at`);--> statement-breakpoint
CREATE INDEX `vended_tokens_revoked` ON `vended_tokens` (`revoked_at`);