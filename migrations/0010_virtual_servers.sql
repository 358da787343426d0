CREATE TABLE `virtual_servers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`mode` text DEFAULT 'tools' NOT NULL,
	`tools` text DEFAULT '[]' NOT NULL,
	`resources` text DEFAULT '[]' NOT NULL,
	`prompts` text DEFAULT '[]' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`owner` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `virtual_servers_name_unique` ON `virtual_servers` (`name`);--> statement-breakpoint
CREATE INDEX `virtual_servers_tenant_name` ON `virtual_servers` (`tenant`,`name`);
