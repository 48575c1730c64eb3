/*
 * kiro_creds.h: Kiro credentials in the master (spec/kiro.md §2, §3):
 * reading a credential (file, base64, default location), the two
 * refresh flows' requests and answers, and writing a refreshed token
 * back into its file.  Pure functions over files and JSON, so they can
 * be unit-tested; scheduling and HTTP live in refresh.c.  Every string
 * here may be a secret: kiro_cred_clear() wipes them.
 */
#ifndef AICLIENT_KIRO_CREDS_H
#define AICLIENT_KIRO_CREDS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

#define KIRO_TOKEN_FILE	"kiro-auth-token.json"

struct kiro_cred {
	json_object	*record;	/* merged credential record (owned) */
	const char	*access_token;	/* borrowed from record */
	const char	*refresh_token;
	const char	*profile_arn;
	const char	*region;	/* default us-east-1 */
	const char	*idc_region;	/* default = region */
	const char	*auth_method;
	const char	*client_id;
	const char	*client_secret;
	int64_t		 expires_ms;	/* 0 unknown */
	int		 social;	/* social refresh flow (§2.4) */
};

/*
 * Read a credential file (plus its client registration, §2.2 [REC]
 * step 3).  -1 with err set ("path: reason") when it cannot be used.
 */
int	 kiro_cred_load_file(const char *path, struct kiro_cred *, char *err,
	    size_t errlen);
/* Decode KIRO_OAUTH_CREDS_BASE64. */
int	 kiro_cred_load_base64(const char *b64, struct kiro_cred *, char *err,
	    size_t errlen);
/* Take ownership of a parsed record and fill the typed fields. */
int	 kiro_cred_from_json(json_object *, struct kiro_cred *, char *err,
	    size_t errlen);
void	 kiro_cred_clear(struct kiro_cred *);
/* Parse an expiresAt value: RFC 3339 string or epoch number; 0 if bad. */
int64_t	 kiro_parse_expiry(json_object *);

/*
 * The refresh call: URL (malloc'd, {{region}} replaced) and JSON body.
 * social_url / idc_url are KIRO_REFRESH_URL / KIRO_REFRESH_IDC_URL.
 * -1 when the credential cannot be refreshed (no refresh token, IdC
 * without client id/secret).
 */
int	 kiro_refresh_request(const struct kiro_cred *, const char *social_url,
	    const char *idc_url, char **url, struct buf *body, char *err,
	    size_t errlen);
/*
 * Apply a 200 answer of the refresh endpoint to c (now = wall ms).
 * -1 ("invalid refresh response") when there is no accessToken.
 */
int	 kiro_refresh_apply(struct kiro_cred *, const char *body, size_t len,
	    int64_t now, char *err, size_t errlen);
/*
 * Write the refreshed members (accessToken, refreshToken, expiresAt,
 * profileArn) into path, keeping every other member of the file as it
 * is now: atomic replace, mode 0600, owner kept.
 */
int	 kiro_cred_write_back(const char *path, const struct kiro_cred *,
	    char *err, size_t errlen);

#endif
