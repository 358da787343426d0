DROP INDEX `vended_tokens_owner`;--> statement-breakpoint
ALTER TABLE `vended_tokens` ADD `owner_issuer` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `vended_tokens_owner_issuer` ON `vended_tokens` (`tenant`,`owner_issuer`,`subject`,`created_at`);