/*
 * fuzz_map: sp_map_add on any text, as --map arguments (the first byte adds
 * the salesforce preset before and/or after them; arguments are separated
 * by NUL bytes) and as a map file, then sp_map_resolve over fixed headers.
 * No two fields resolve to the same name, and each field keeps its own
 * name or takes a canonical name the map was given.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "salespipe/map.h"
#include "salespipe/stage.h"

static const char *const opportunity[] = { "Id", "IsDeleted", "AccountId",
	"IsPrivate", "Name", "Description", "StageName", "StageSortOrder",
	"Amount", "Probability", "ExpectedRevenue", "TotalOpportunityQuantity",
	"CloseDate", "Type", "NextStep", "LeadSource", "IsClosed", "IsWon",
	"ForecastCategory", "ForecastCategoryName", "CampaignId",
	"HasOpportunityLineItem", "Pricebook2Id", "OwnerId", "CreatedDate",
	"CreatedById", "LastModifiedDate", "LastModifiedById",
	"SystemModstamp", "LastActivityDate", "LastStageChangeDate",
	"FiscalYear", "FiscalQuarter", NULL };
static const char *const history[] = { "Id", "OpportunityId", "CreatedById",
	"CreatedDate", "StageName", "Amount", "ExpectedRevenue", "CloseDate",
	"Probability", "ForecastCategory", "FromOpportunityStageName",
	"IsDeleted", NULL };
static const char *const lead[] = { "Id", "FirstName", "LastName",
	"Company", "Email", "Phone", "LeadSource", "Status", "OwnerId",
	"IsConverted", "ConvertedOpportunityId", "CreatedDate", NULL };
static const char *const maven[] = { "opportunity_id", "sales_agent",
	"product", "account", "deal_stage", "engage_date", "close_date",
	"close_value", NULL };
/* canonical names as columns, to be shadowed; and odd names */
static const char *const generic[] = { "id", "name", "stage", "amount",
	"owner", "created_at", "close_date", "at", "a", "b", "A", "a|b",
	"x=y", " a", "", "Stage", NULL };
static const char *const *const headers[] = { opportunity, history, lead,
	maven, generic };

/* The canonical names of the salesforce preset. */
static const char *const sf_canon[] = { "id", "at", "stage", "amount",
	"probability", "close_date", "forecast_category", "company", "email",
	"phone", "source", "owner", "created_at", "deal_id", "name", "account",
	NULL };

static char path[64], proc[64];
static int fd = -1;

static void
cleanup(void)
{
	unlink(path);
}

/*
 * A canonical name of a map file: the start of one of its lines, up to a
 * comma (or CR, or NUL), blanks around and a pair of quotes dropped.
 */
static int
file_canon(const char *s, const char *text, size_t n)
{
	size_t i = 0, a, b, len = strlen(s);

	while (i < n) {
		/* a CR inside a line belongs to the name (map.c keeps it) */
		for (a = i, b = i; b < n && text[b] != ',' &&
		    text[b] != '\n' && text[b] != '\0'; b++)
			;
		while (a < b && (text[a] == ' ' || text[a] == '\t'))
			a++;
		while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' ||
		    text[b - 1] == '\r'))
			b--;
		if ((b - a == len && memcmp(text + a, s, len) == 0) ||
		    (b - a == len + 2 && text[a] == '"' && text[b - 1] == '"' &&
		    memcmp(text + a + 1, s, len) == 0))
			return 1;
		while (i < n && text[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

/*
 * A name the map was given: in the text of its arguments (a whole map file
 * has one a line), or a preset's canonical name.
 */
static int
given(const char *s, const char *text, size_t n, int sf, int file)
{
	size_t i;

	if (file ? file_canon(s, text, n) : memmem(text, n, s, strlen(s)) !=
	    NULL)
		return 1;
	for (i = 0; sf && sf_canon[i] != NULL; i++)
		if (strcmp(sf_canon[i], s) == 0)
			return 1;
	return 0;
}

static void
check(const sp_map *m, const char *text, size_t n, int sf, int file)
{
	const char *out[64];
	sp_error e;
	size_t h, i, j, k;

	for (h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
		const char *const *names = headers[h];

		for (k = 0; names[k] != NULL; k++)
			;
		FUZZ_CHECK(sp_map_resolve(m, names, k, out, &e) == 0);
		for (i = 0; i < k; i++) {
			if (out[i] == NULL)
				continue;
			/* its own name, never another column's */
			for (j = 0; j < k; j++)
				FUZZ_CHECK(out[i] != names[j] || j == i);
			FUZZ_CHECK(out[i] == names[i] || given(out[i], text, n,
			    sf, file));
			for (j = 0; j < i; j++)
				FUZZ_CHECK(out[j] == NULL ||
				    strcmp(out[i], out[j]) != 0);
		}
	}
	FUZZ_CHECK((sp_map_stages(m, SP_STAGES_DEALS) != NULL) == sf);
	FUZZ_CHECK((sp_map_stages(m, SP_STAGES_LEADS) != NULL) == sf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stat sb;
	sp_map *m;
	sp_error e;
	char *text, *arg, *end;
	int sf, bad = 0;

	if (size < 1 || size > 1 << 16)
		return 0;
	sf = data[0] & 3;
	text = fuzz_cstr(data + 1, size - 1);
	end = text + size - 1;

	/* as --map arguments */
	FUZZ_CHECK((m = sp_map_new()) != NULL);
	if (sf & 1)
		FUZZ_CHECK(sp_map_add(m, "salesforce", &e) == 0);
	for (arg = text; arg <= end && !bad; arg += strlen(arg) + 1) {
		/* a name of an existing file would be read as a map file */
		if (strchr(arg, '=') == NULL &&
		    strcmp(arg, "salesforce") != 0 && stat(arg, &sb) == 0)
			continue;
		if (strcmp(arg, "salesforce") == 0)
			sf |= 4;
		sp_err_clear(&e);
		if (sp_map_add(m, arg, &e) < 0) {
			FUZZ_CHECK(e.msg[0] != '\0');
			bad = 1;
		}
	}
	if (sf & 2)
		FUZZ_CHECK(sp_map_add(m, "salesforce", &e) == 0);
	check(m, text, size - 1, sf != 0, 0);
	sp_map_free(m);

	/* as a map file */
	if (fd < 0) {
		/* tmpfs when there is one: a write per input */
		snprintf(path, sizeof(path), "%s/fuzz_map.XXXXXX",
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		FUZZ_CHECK((fd = mkstemp(path)) >= 0);
		/* nothing left behind, even by an abort: read it by its fd */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (access(proc, R_OK) == 0) {
			unlink(path);
			memcpy(path, proc, sizeof(proc));
		} else
			atexit(cleanup);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data + 1, size - 1, 0) == (ssize_t)(size - 1));
	FUZZ_CHECK((m = sp_map_new()) != NULL);
	sf &= 3;
	if (sf & 1)
		FUZZ_CHECK(sp_map_add(m, "salesforce", &e) == 0);
	sp_err_clear(&e);
	if (sp_map_add(m, path, &e) < 0)
		FUZZ_CHECK(e.msg[0] != '\0');
	if (sf & 2)
		FUZZ_CHECK(sp_map_add(m, "salesforce", &e) == 0);
	check(m, text, size - 1, sf != 0, 1);
	sp_map_free(m);
	free(text);
	return 0;
}
