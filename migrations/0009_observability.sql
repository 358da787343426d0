-- Observability (issue 16): Prometheus counters and usage rollups, written in
-- batches after responses; indexes for the scheduled upkeep's purges.
-- Hand-written (see docs/storage.md "Observability").
CREATE TABLE `metric_series` (
	`name` text NOT NULL,
	`labels` text NOT NULL,
	`value` real DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`name`, `labels`)
);
--> statement-breakpoint
CREATE INDEX `metric_series_updated` ON `metric_series` (`updated_at`);
--> statement-breakpoint
CREATE TABLE `usage_rollups` (
	`tenant` text NOT NULL,
	`minute` integer NOT NULL,
	`server` text NOT NULL,
	`method` text NOT NULL,
	`tool` text NOT NULL,
	`caller` text NOT NULL,
	`calls` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`denied` integer DEFAULT 0 NOT NULL,
	`rate_limited` integer DEFAULT 0 NOT NULL,
	`duration_ms_sum` real DEFAULT 0 NOT NULL,
	`lat_0` integer DEFAULT 0 NOT NULL,
	`lat_1` integer DEFAULT 0 NOT NULL,
	`lat_2` integer DEFAULT 0 NOT NULL,
	`lat_3` integer DEFAULT 0 NOT NULL,
	`lat_4` integer DEFAULT 0 NOT NULL,
	`lat_5` integer DEFAULT 0 NOT NULL,
	`lat_6` integer DEFAULT 0 NOT NULL,
	`lat_7` integer DEFAULT 0 NOT NULL,
	`lat_8` integer DEFAULT 0 NOT NULL,
	`lat_9` integer DEFAULT 0 NOT NULL,
	`lat_10` integer DEFAULT 0 NOT NULL,
	`lat_11` integer DEFAULT 0 NOT NULL,
	`lat_12` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant`, `minute`, `server`, `method`, `tool`, `caller`)
);
--> statement-breakpoint
CREATE INDEX `usage_rollups_minute` ON `usage_rollups` (`minute`);
--> statement-breakpoint
CREATE INDEX `audit_events_occurred` ON `audit_events` (`occurred_at`);
--> statement-breakpoint
CREATE INDEX `vended_tokens_expires` ON `vended_tokens` (`expires_at`);
