-- Per-user upstream credentials (issue 15, 3-legged OAuth): one row per
-- (tenant, server, user). The token set is stored only as AES-GCM ciphertext
-- (key derived per tenant from CREDENTIAL_ENCRYPTION_KEY; see docs/storage.md).
CREATE TABLE `user_credentials` (
	`tenant` text NOT NULL,
	`server_id` text NOT NULL,
	`issuer` text NOT NULL,
	`subject` text NOT NULL,
	`user_name` text,
	`status` text DEFAULT 'connected' NOT NULL,
	`ciphertext` text NOT NULL,
	`iv` text NOT NULL,
	`expires_at` text,
	`scopes` text DEFAULT '[]' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant`, `server_id`, `issuer`, `subject`)
);
--> statement-breakpoint
CREATE INDEX `user_credentials_tenant_subject` ON `user_credentials` (`tenant`,`subject`);
