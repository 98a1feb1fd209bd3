//! The providers that are data only: a name, where to revoke, what to do.
//! No account decoding, no response steps of their own, no `explain` hook;
//! a provider that needs one gets a module like `aws.rs`. The human report
//! prints `what_to_do`, so each one names its revoke URL too.

use super::Provider;

/// A provider with no hooks. `what_to_do` is one or two lines and ends
/// with where to revoke (the report prints it as is).
const fn simple(id: &'static str, name: &'static str, revoke_url: &'static str, what_to_do: &'static str) -> Provider {
    Provider {
        id,
        name,
        revoke_url,
        what_to_do,
        account_label: "account",
        account: None,
        response_steps: None,
        explain: None,
        explain_takes: "",
        sarif_help: "Revoke the credential where its provider issued it, then replace it; removing it from the code is not enough.",
        placeholder: None,
    }
}

pub static GITHUB: Provider = simple(
    "github",
    "GitHub",
    "https://github.com/settings/tokens",
    "GitHub token: revoke it (https://github.com/settings/tokens; an app's tokens under the app's settings), \
     check the account's security log for its use, then issue a new one with the least scope.",
);

pub static NPM: Provider = simple(
    "npm",
    "npm",
    "https://www.npmjs.com/settings/~/tokens",
    "npm token: delete it (https://www.npmjs.com/settings/~/tokens or `npm token revoke`), check the \
     packages it could publish for unexpected versions, then create a granular token.",
);

pub static GITLAB: Provider = simple(
    "gitlab",
    "GitLab",
    "https://gitlab.com/-/user_settings/personal_access_tokens",
    "GitLab token: revoke it (user, project or group settings > Access tokens; runners under CI/CD > Runners), \
     review the audit events for its use, then issue a new one.",
);

pub static SLACK: Provider = simple(
    "slack",
    "Slack",
    "https://api.slack.com/apps",
    "Slack token or webhook: revoke it in the app's settings (https://api.slack.com/apps: OAuth & Permissions, \
     or Incoming Webhooks), then reinstall the app or create a new webhook.",
);

pub static STRIPE: Provider = simple(
    "stripe",
    "Stripe",
    "https://dashboard.stripe.com/apikeys",
    "Stripe key: roll it now (https://dashboard.stripe.com/apikeys), then check the Dashboard's logs and \
     events for calls you did not make.",
);

pub static GOOGLE: Provider = simple(
    "google",
    "Google Cloud",
    "https://console.cloud.google.com/apis/credentials",
    "Google credential: delete or regenerate it (https://console.cloud.google.com/apis/credentials; service \
     account keys under IAM > Service accounts > Keys), then check billing and audit logs.",
);

pub static PRIVATE_KEY: Provider = simple(
    "private-key",
    "Private key",
    "https://www.rfc-editor.org/rfc/rfc5280#section-3.3",
    "Private key: replace the key pair, remove its public key from everywhere it is trusted (authorized_keys, \
     deploy keys, keyrings), and revoke any certificate issued for it with its CA.",
);

pub static PYPI: Provider = simple(
    "pypi",
    "PyPI",
    "https://pypi.org/manage/account/token/",
    "PyPI token: remove it (https://pypi.org/manage/account/token/), check the release history of the projects \
     in its scope, then prefer Trusted Publishing over tokens.",
);

pub static OPENAI: Provider = simple(
    "openai",
    "OpenAI",
    "https://platform.openai.com/api-keys",
    "OpenAI key: revoke it (https://platform.openai.com/api-keys) and create a new one; check the usage page \
     for calls you did not make.",
);

pub static ANTHROPIC: Provider = simple(
    "anthropic",
    "Anthropic",
    "https://console.anthropic.com/settings/keys",
    "Anthropic key: disable and delete it (https://console.anthropic.com/settings/keys), create a new one, and \
     check the usage page for calls you did not make.",
);

pub static HUGGINGFACE: Provider = simple(
    "huggingface",
    "Hugging Face",
    "https://huggingface.co/settings/tokens",
    "Hugging Face token: invalidate it (https://huggingface.co/settings/tokens), then create a fine-grained \
     token with only the repositories it needs.",
);

pub static SENDGRID: Provider = simple(
    "sendgrid",
    "SendGrid",
    "https://app.sendgrid.com/settings/api_keys",
    "SendGrid key: delete it (https://app.sendgrid.com/settings/api_keys), create a new one, and check the \
     activity feed for mail you did not send.",
);

pub static SHOPIFY: Provider = simple(
    "shopify",
    "Shopify",
    "https://admin.shopify.com/settings/apps/development",
    "Shopify token or secret: rotate it in the app's settings (Settings > Apps > Develop apps, or the Partner \
     Dashboard for an app's secret), then reinstall the app.",
);

pub static DIGITALOCEAN: Provider = simple(
    "digitalocean",
    "DigitalOcean",
    "https://cloud.digitalocean.com/account/api/tokens",
    "DigitalOcean token: delete it (https://cloud.digitalocean.com/account/api/tokens), check the team's \
     activity log for resources you did not create, then issue a scoped token.",
);

pub static RUBYGEMS: Provider = simple(
    "rubygems",
    "RubyGems",
    "https://rubygems.org/profile/api_keys",
    "RubyGems key: delete it (https://rubygems.org/profile/api_keys), check the gems it could push for versions \
     you did not release, then create a scoped key (or use trusted publishing).",
);

pub static NUGET: Provider = simple(
    "nuget",
    "NuGet",
    "https://www.nuget.org/account/apikeys",
    "NuGet key: delete or regenerate it (https://www.nuget.org/account/apikeys), check its packages for versions \
     you did not push, then create a key scoped to one package glob.",
);

pub static DOCKER: Provider = simple(
    "docker",
    "Docker Hub",
    "https://app.docker.com/settings/personal-access-tokens",
    "Docker Hub token: delete it (https://app.docker.com/settings/personal-access-tokens; organization tokens \
     under the organization's settings), check the repositories' tags for images you did not push.",
);

pub static TWILIO: Provider = simple(
    "twilio",
    "Twilio",
    "https://console.twilio.com/us1/account/keys-credentials/api-keys",
    "Twilio credential: rotate the auth token or delete the API key (https://console.twilio.com/us1/account/keys-credentials/api-keys), \
     then check the message and call logs for traffic you did not send.",
);

pub static MAILGUN: Provider = simple(
    "mailgun",
    "Mailgun",
    "https://app.mailgun.com/settings/api_security",
    "Mailgun key: delete it and create a new one (https://app.mailgun.com/settings/api_security), then check the \
     sending logs for mail you did not send.",
);

pub static MAILCHIMP: Provider = simple(
    "mailchimp",
    "Mailchimp",
    "https://admin.mailchimp.com/account/api/",
    "Mailchimp key: disable and delete it (https://admin.mailchimp.com/account/api/), create a new one, and check \
     the audience exports and campaigns for activity you did not start.",
);

pub static HEROKU: Provider = simple(
    "heroku",
    "Heroku",
    "https://dashboard.heroku.com/account/applications",
    "Heroku key: regenerate the account's API key or revoke the authorization (https://dashboard.heroku.com/account/applications, \
     `heroku authorizations:revoke`), then check the apps' activity and config vars.",
);

pub static AZURE: Provider = simple(
    "azure",
    "Microsoft Azure",
    "https://portal.azure.com/",
    "Azure credential: rotate the storage account key (Access keys), revoke the SAS (rotate the key that signed it, \
     or its stored access policy) or delete the app's client secret (Entra ID > App registrations > Certificates & secrets), \
     then check the activity log.",
);

pub static DATADOG: Provider = simple(
    "datadog",
    "Datadog",
    "https://app.datadoghq.com/organization-settings/api-keys",
    "Datadog key: revoke it (https://app.datadoghq.com/organization-settings/api-keys, or Application Keys), \
     create a new one, and check the audit trail for its use.",
);

pub static NEWRELIC: Provider = simple(
    "newrelic",
    "New Relic",
    "https://one.newrelic.com/api-keys",
    "New Relic key: delete it and create a new one (https://one.newrelic.com/api-keys), then update every agent \
     or integration that used it.",
);

pub static SENTRY: Provider = simple(
    "sentry",
    "Sentry",
    "https://sentry.io/settings/account/api/auth-tokens/",
    "Sentry token: revoke it (https://sentry.io/settings/account/api/auth-tokens/; organization tokens under \
     Settings > Auth Tokens), then issue a new one with only the scopes CI needs.",
);

pub static ATLASSIAN: Provider = simple(
    "atlassian",
    "Atlassian",
    "https://id.atlassian.com/manage-profile/security/api-tokens",
    "Atlassian token: revoke it (https://id.atlassian.com/manage-profile/security/api-tokens), then check the \
     audit log of Jira and Confluence for changes you did not make.",
);

pub static DISCORD: Provider = simple(
    "discord",
    "Discord",
    "https://discord.com/developers/applications",
    "Discord token or webhook: reset the bot's token (https://discord.com/developers/applications > Bot) or delete \
     the webhook (channel settings > Integrations), then check what the bot posted.",
);

pub static TELEGRAM: Provider = simple(
    "telegram",
    "Telegram",
    "https://t.me/BotFather",
    "Telegram bot token: revoke it with @BotFather (https://t.me/BotFather, /revoke), then update the bot with \
     the new token.",
);

pub static DATABASE: Provider = simple(
    "database",
    "Database",
    "https://www.postgresql.org/docs/current/sql-alterrole.html",
    "Database password: change the user's password on the server (ALTER ROLE / ALTER USER, or the broker's \
     user settings), restrict where it may connect from, and read the password from the environment instead.",
);

pub static JWT: Provider = simple(
    "jwt",
    "JSON Web Token",
    "https://www.rfc-editor.org/rfc/rfc7519",
    "Signed token: have its issuer revoke it (or end the session it belongs to); if it never expires, rotate the \
     issuer's signing key, which ends every token it signed.",
);
