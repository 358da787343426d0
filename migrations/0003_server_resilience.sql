ALTER TABLE `servers` ADD `load_balancing` text DEFAULT '{"strategy":"weighted","hashOn":"identity"}' NOT NULL;--> statement-breakpoint
ALTER TABLE `servers` ADD `circuit_breaker` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `health_check` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `rate_limit` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `health_status` text DEFAULT 'unknown' NOT NULL;--> statement-breakpoint
ALTER TABLE `servers` ADD `health_detail` text DEFAULT '{"latencyMs":null,"checkedAt":null,"changedAt":null,"error":null,"replicas":[]}' NOT NULL;