/*
 * Unit tests of map: --map lists, map files and presets
 * (include/salespipe/map.h).  The Salesforce headers below were read from
 * the header rows of /work/shared/datasets/salesforce-devorg-sample/
 * {Opportunity,OpportunityHistory,Lead}.csv, the Maven one from
 * /work/shared/datasets/maven-crm/sales_pipeline.csv.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/map.h"
#include "salespipe/stage.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const sf_opportunity[] = {
	"Id", "IsDeleted", "AccountId", "IsPrivate", "Name", "Description",
	"StageName", "StageSortOrder", "Amount", "Probability",
	"ExpectedRevenue", "TotalOpportunityQuantity", "CloseDate", "Type",
	"NextStep", "LeadSource", "IsClosed", "IsWon", "ForecastCategory",
	"ForecastCategoryName", "CampaignId", "HasOpportunityLineItem",
	"Pricebook2Id", "OwnerId", "CreatedDate", "CreatedById",
	"LastModifiedDate", "LastModifiedById", "SystemModstamp",
	"LastActivityDate", "LastStageChangeDate", "FiscalYear",
	"FiscalQuarter", "PrimaryPartnerAccountId", "ContractId",
	"DeliveryInstallationStatus__c", "TrackingNumber__c", "OrderNumber__c",
	"CurrentGenerators__c", "MainCompetitors__c",
};

static const char *const sf_history[] = {
	"Id", "OpportunityId", "CreatedById", "CreatedDate",
	"CreatedDateForInsert", "StageName", "Amount", "ExpectedRevenue",
	"CloseDate", "Probability", "FromForecastCategory", "ForecastCategory",
	"PrevForecastUpdate", "FromOpportunityStageName",
	"PrevOpportunityStageUpdate", "ValidThroughDate", "SystemModstamp",
	"IsDeleted",
};

static const char *const sf_lead[] = {
	"Id", "IsDeleted", "MasterRecordId", "Salutation", "FirstName",
	"LastName", "Title", "Company", "Street", "City", "State",
	"PostalCode", "Country", "Latitude", "Longitude", "GeocodeAccuracy",
	"Phone", "MobilePhone", "Fax", "Email", "Website", "Description",
	"LeadSource", "Status", "Industry", "Rating", "AnnualRevenue",
	"NumberOfEmployees", "OwnerId", "HasOptedOutOfEmail", "IsConverted",
	"ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
	"ConvertedOpportunityId", "IsUnreadByOwner", "CreatedDate",
	"CreatedById", "LastModifiedDate", "LastModifiedById",
	"SystemModstamp", "LastActivityDate", "DoNotCall", "HasOptedOutOfFax",
	"LastTransferDate", "Jigsaw", "JigsawContactId", "CleanStatus",
	"CompanyDunsNumber", "DandbCompanyId", "EmailBouncedReason",
	"EmailBouncedDate", "SICCode__c", "ProductInterest__c", "Primary__c",
	"CurrentGenerators__c", "NumberofLocations__c",
};

static const char *const maven[] = {
	"opportunity_id", "sales_agent", "product", "account", "deal_stage",
	"engage_date", "close_date", "close_value",
};

static sp_map *
map_of(const char *arg)
{
	sp_map *m = sp_map_new();
	sp_error e;

	assert_non_null(m);
	sp_err_clear(&e);
	if (arg != NULL && sp_map_add(m, arg, &e) != 0)
		fail_msg("map_add('%s') failed: %s", arg, e.msg);
	return m;
}

/* Resolve and compare with want[] (NULL: shadowed). */
static void
check_resolve(const sp_map *m, const char *const *names, size_t n,
    const char *const *want)
{
	const char *out[64];
	sp_error e;
	size_t i;

	assert_true(n <= NELEM(out));
	sp_err_clear(&e);
	assert_int_equal(sp_map_resolve(m, names, n, out, &e), 0);
	for (i = 0; i < n; i++) {
		if (want[i] == NULL && out[i] != NULL)
			fail_msg("field %zu '%s' -> '%s', want shadowed", i,
			    names[i], out[i]);
		if (want[i] != NULL && (out[i] == NULL ||
		    strcmp(out[i], want[i]) != 0))
			fail_msg("field %zu '%s' -> '%s', want '%s'", i,
			    names[i], out[i] ? out[i] : "(shadowed)", want[i]);
	}
}

/* Resolve names, return the index of the field known as canon, or -1;
 * fail if two fields are known by one name. */
static int
resolve_find(const sp_map *m, const char *const *names, size_t n,
    const char **out, const char *canon)
{
	sp_error e;
	size_t i, j;
	int at = -1;

	sp_err_clear(&e);
	assert_int_equal(sp_map_resolve(m, names, n, out, &e), 0);
	for (i = 0; i < n; i++) {
		if (out[i] == NULL)
			continue;
		for (j = i + 1; j < n; j++)
			if (out[j] != NULL && strcmp(out[i], out[j]) == 0)
				fail_msg("fields '%s' and '%s' both map to '%s'",
				    names[i], names[j], out[i]);
		if (strcmp(out[i], canon) == 0)
			at = (int)i;
	}
	return at;
}

static void
expect_source(const sp_map *m, const char *const *names, size_t n,
    const char *canon, const char *source)
{
	const char *out[64];
	int at;

	assert_true(n <= NELEM(out));
	at = resolve_find(m, names, n, out, canon);
	if (at < 0)
		fail_msg("no field maps to '%s' (want '%s')", canon, source);
	if (strcmp(names[at], source) != 0)
		fail_msg("'%s' comes from '%s', want '%s'", canon, names[at],
		    source);
}

static void
expect_kept(const sp_map *m, const char *const *names, size_t n,
    const char *name)
{
	const char *out[64];
	size_t i;
	sp_error e;

	sp_err_clear(&e);
	assert_int_equal(sp_map_resolve(m, names, n, out, &e), 0);
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0) {
			if (out[i] == NULL || strcmp(out[i], name) != 0)
				fail_msg("'%s' -> '%s', want it kept", name,
				    out[i] ? out[i] : "(shadowed)");
			return;
		}
	fail_msg("no field '%s'", name);
}

/* ---- identity and inline lists ---- */

static void
test_identity(void **state)
{
	const char *const names[] = { "id", "stage", "whatever", "" };
	sp_map *m = map_of(NULL);

	(void)state;
	check_resolve(m, names, 4, names);
	check_resolve(m, maven, NELEM(maven), maven);
	assert_null(sp_map_stages(m, SP_STAGES_DEALS));
	assert_null(sp_map_stages(m, SP_STAGES_LEADS));
	sp_map_free(m);
}

static void
test_inline(void **state)
{
	const char *const names[] = { "opportunity_id", "sales_agent", "stage",
	    "amount" };
	const char *const want[] = { "id", "owner", "stage", "amount" };
	sp_map *m = map_of("id=opportunity_id,owner=sales_agent");

	(void)state;
	check_resolve(m, names, 4, want);
	assert_null(sp_map_stages(m, SP_STAGES_DEALS));
	assert_null(sp_map_stages(m, SP_STAGES_LEADS));
	sp_map_free(m);
}

static void
test_inline_maven(void **state)
{
	const char *const want[] = { "id", "owner", "product", "account",
	    "stage", "created_at", "close_date", "amount" };
	sp_map *m = map_of("id=opportunity_id,owner=sales_agent,"
	    "stage=deal_stage,created_at=engage_date,amount=close_value");

	(void)state;
	check_resolve(m, maven, NELEM(maven), want);
	sp_map_free(m);
}

/* A column literally named like a canonical name that a present source
 * is mapped to is shadowed. */
static void
test_shadow_literal_column(void **state)
{
	const char *const names[] = { "opportunity_id", "id", "sales_agent",
	    "owner", "x" };
	const char *const want[] = { "id", NULL, "owner", NULL, "x" };
	sp_map *m = map_of("id=opportunity_id,owner=sales_agent");

	(void)state;
	check_resolve(m, names, 5, want);
	sp_map_free(m);
}

/* When none of the sources is present, a column already named like the
 * canonical name is the field (nothing else could be). */
static void
test_literal_column_when_source_absent(void **state)
{
	/* an explicit pair whose source is absent: the field is absent, the
	 * column literally named id (or owner) is not taken instead */
	const char *const names[] = { "id", "owner", "x" };
	const char *const want[] = { NULL, NULL, "x" };
	sp_map *m = map_of("id=opportunity_id,owner=sales_agent");

	(void)state;
	check_resolve(m, names, 3, want);
	sp_map_free(m);
}

/* An explicit pair overrides the preset's even when its source is absent
 * (no fallback to the preset's source); "x=" drops field x. */
static void
test_explicit_overrides_preset(void **state)
{
	const char *const names[] = { "Id", "OwnerId", "StageName", "Amount",
	    "owner" };
	const char *const w1[] = { "id", "OwnerId", "stage", "amount", NULL };
	const char *const w2[] = { "id", "OwnerId", "stage", "amount", NULL };
	const char *const w3[] = { "Id", "owner", "stage", "amount", NULL };
	const char *const n4[] = { "id", "stage", "amount" };
	const char *const w4[] = { NULL, "stage", "amount" };
	sp_map *m = map_of("salesforce");
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_map_add(m, "owner=NoSuchColumn", &e), 0);
	check_resolve(m, names, 5, w1);
	sp_map_free(m);
	m = map_of("salesforce");
	assert_int_equal(sp_map_add(m, "owner=", &e), 0);
	check_resolve(m, names, 5, w2);
	sp_map_free(m);
	/* explicit pairs may take a preset's source for another name */
	m = map_of("salesforce");
	assert_int_equal(sp_map_add(m, "owner=OwnerId,id=", &e), 0);
	check_resolve(m, names, 5, w3);
	sp_map_free(m);
	/* without a preset: the input's own column id is ignored */
	m = map_of("id=");
	check_resolve(m, n4, 3, w4);
	sp_map_free(m);
}

/* Salesforce: names before ids, CurrencyIsoCode as currency. */
static void
test_salesforce_names_currency(void **state)
{
	const char *const opp[] = { "Id", "AccountId", "Account.Name",
	    "OwnerId", "Owner.Name", "StageName", "Amount", "CurrencyIsoCode" };
	const char *const wopp[] = { "id", "AccountId", "account", "OwnerId",
	    "owner", "stage", "amount", "currency" };
	const char *const ids[] = { "Id", "AccountId", "OwnerId",
	    "CurrencyIsoCode" };
	const char *const wids[] = { "id", "account", "owner", "currency" };
	const char *const hist[] = { "OpportunityId", "CreatedDate",
	    "StageName", "CurrencyIsoCode" };
	const char *const whist[] = { "id", "at", "stage", "currency" };
	const char *const lead[] = { "Id", "IsConverted", "OwnerId",
	    "Owner.Name" };
	const char *const wlead[] = { "id", "IsConverted", "OwnerId", "owner" };
	sp_map *m = map_of("salesforce");

	(void)state;
	check_resolve(m, opp, NELEM(opp), wopp);
	check_resolve(m, ids, NELEM(ids), wids);
	check_resolve(m, hist, NELEM(hist), whist);
	check_resolve(m, lead, NELEM(lead), wlead);
	sp_map_free(m);
}

static void
test_alternatives(void **state)
{
	const char *const n1[] = { "b", "a", "x" };
	const char *const n2[] = { "b", "x" };
	const char *const w2[] = { "stage", "x" };
	const char *const n3[] = { "x" };
	const char *const n4[] = { "c", "stage", "b" };
	const char *out[3];
	sp_map *m = map_of("stage=a|b|c");
	sp_error e;

	(void)state;
	/* first present in the list wins, whatever the column order */
	sp_err_clear(&e);
	assert_int_equal(sp_map_resolve(m, n1, 3, out, &e), 0);
	assert_non_null(out[1]);
	assert_string_equal(out[1], "stage");
	assert_true(out[0] == NULL || strcmp(out[0], "stage") != 0);
	assert_string_equal(out[2], "x");
	check_resolve(m, n2, 2, w2);
	check_resolve(m, n3, 1, n3);
	/* b wins over c; the literal "stage" column is shadowed */
	assert_int_equal(sp_map_resolve(m, n4, 3, out, &e), 0);
	assert_true(out[0] == NULL || strcmp(out[0], "stage") != 0);
	assert_null(out[1]);
	assert_non_null(out[2]);
	assert_string_equal(out[2], "stage");
	sp_map_free(m);
}

/* map.h: a source that lost to an earlier alternative passes through
 * under its own name; a column literally named like the bound canonical
 * name is shadowed. */
static void
test_losing_alternative_kept(void **state)
{
	const char *const n1[] = { "b", "a", "x" };
	const char *const w1[] = { "b", "stage", "x" };
	const char *const n4[] = { "c", "stage", "b" };
	const char *const w4[] = { "c", NULL, "stage" };
	const char *o1[3], *o4[3];
	sp_map *m = map_of("stage=a|b|c");
	sp_error e;
	size_t i;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_map_resolve(m, n1, 3, o1, &e), 0);
	assert_int_equal(sp_map_resolve(m, n4, 3, o4, &e), 0);
	sp_map_free(m);	/* before any failure: the names in o1/o4 are ours */
	/* NULL-ness only: non-NULL names may point into the freed map (the
	 * names themselves are checked in test_alternatives) */
	for (i = 0; i < 3; i++) {
		if ((w1[i] == NULL) != (o1[i] == NULL))
			fail_msg("{b,a,x}: '%s' %s, want %s", n1[i],
			    o1[i] ? "kept" : "shadowed",
			    w1[i] ? "kept" : "shadowed");
		if ((w4[i] == NULL) != (o4[i] == NULL))
			fail_msg("{c,stage,b}: '%s' %s, want %s", n4[i],
			    o4[i] ? "kept" : "shadowed",
			    w4[i] ? "kept" : "shadowed");
	}
}

static void
test_later_overrides(void **state)
{
	const char *const names[] = { "a", "b", "c" };
	const char *const want[] = { "a", "stage", "owner" };
	sp_map *m = map_of("stage=a,owner=c");
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_map_add(m, "stage=b", &e), 0);
	check_resolve(m, names, 3, want);
	sp_map_free(m);
}

static void
test_several_maps_resolve(void **state)
{
	/* one map resolved against inputs with different headers */
	const char *const n1[] = { "deal", "rep" };
	const char *const w1[] = { "id", "owner" };
	const char *const n2[] = { "rep", "Deal ID" };
	const char *const w2[] = { "owner", "id" };
	sp_map *m = map_of("id=deal|Deal ID,owner=rep");

	(void)state;
	check_resolve(m, n1, 2, w1);
	check_resolve(m, n2, 2, w2);
	check_resolve(m, n1, 2, w1);
	sp_map_free(m);
}

static void
add_bad(const char *arg)
{
	sp_map *m = map_of(NULL);
	sp_error e;

	sp_err_clear(&e);
	if (sp_map_add(m, arg, &e) != -1)
		fail_msg("map_add('%s') accepted", arg);
	if (e.msg[0] == '\0')
		fail_msg("map_add('%s') failed without a message", arg);
	sp_map_free(m);
}

static void
test_bad_args(void **state)
{
	(void)state;
	add_bad("");
	add_bad("nosuchpreset");
	add_bad("=x");
	add_bad("stage=a|");
	add_bad("stage=a,=b");
	add_bad("/nonexistent/dir/map.csv");
}

/* ---- map files ---- */

static void
temp_file(char *buf, size_t size, const char *text)
{
	int fd;
	size_t n = strlen(text);

	snprintf(buf, size, "/tmp/test_map_XXXXXX.csv");
	fd = mkstemps(buf, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

static void
test_file_with_header(void **state)
{
	const char *const names[] = { "opportunity_id", "agent", "deal_stage",
	    "x" };
	const char *const want[] = { "id", "owner", "stage", "x" };
	char path[64];
	sp_map *m;

	(void)state;
	temp_file(path, sizeof path,
	    "canonical,source\n"
	    "id,opportunity_id\n"
	    "owner,sales_agent|agent\n"
	    "stage,deal_stage\n");
	m = map_of(path);
	check_resolve(m, names, 4, want);
	sp_map_free(m);
	unlink(path);
}

static void
test_file_without_header(void **state)
{
	const char *const names[] = { "canonical", "source", "opportunity_id",
	    "sales_agent" };
	const char *const want[] = { "canonical", "source", "id", "owner" };
	char path[64];
	sp_map *m;

	(void)state;
	temp_file(path, sizeof path,
	    "id,opportunity_id\r\n"
	    "owner,\"sales_agent\"\r\n");
	m = map_of(path);
	check_resolve(m, names, 4, want);
	sp_map_free(m);
	unlink(path);
}

/* A file, then an inline list overriding one entry. */
static void
test_file_then_inline(void **state)
{
	const char *const names[] = { "opportunity_id", "sales_agent", "rep" };
	const char *const want[] = { "id", "sales_agent", "owner" };
	char path[64];
	sp_map *m;
	sp_error e;

	(void)state;
	temp_file(path, sizeof path,
	    "canonical,source\nid,opportunity_id\nowner,sales_agent\n");
	m = map_of(path);
	sp_err_clear(&e);
	assert_int_equal(sp_map_add(m, "owner=rep", &e), 0);
	check_resolve(m, names, 3, want);
	sp_map_free(m);
	unlink(path);
}

/* ---- presets ---- */

static void
test_preset_names(void **state)
{
	size_t i;
	int sf = 0;

	(void)state;
	for (i = 0; sp_map_presets[i] != NULL; i++) {
		sf |= strcmp(sp_map_presets[i], "salesforce") == 0;
		assert_true(i < 100);
	}
	assert_true(sf);
	/* every preset is accepted by sp_map_add */
	for (i = 0; sp_map_presets[i] != NULL; i++)
		sp_map_free(map_of(sp_map_presets[i]));
}

static void
test_salesforce_opportunity(void **state)
{
	sp_map *m = map_of("salesforce");
	size_t n = NELEM(sf_opportunity);
	const char *out[64];
	int a, b;

	(void)state;
	expect_source(m, sf_opportunity, n, "id", "Id");
	expect_source(m, sf_opportunity, n, "name", "Name");
	expect_source(m, sf_opportunity, n, "account", "AccountId");
	expect_source(m, sf_opportunity, n, "owner", "OwnerId");
	expect_source(m, sf_opportunity, n, "stage", "StageName");
	expect_source(m, sf_opportunity, n, "amount", "Amount");
	expect_source(m, sf_opportunity, n, "probability", "Probability");
	expect_source(m, sf_opportunity, n, "created_at", "CreatedDate");
	expect_source(m, sf_opportunity, n, "close_date", "CloseDate");
	expect_source(m, sf_opportunity, n, "source", "LeadSource");
	/* one of the two forecast category columns is the field */
	a = resolve_find(m, sf_opportunity, n, out, "forecast_category");
	assert_true(a >= 0);
	b = strcmp(sf_opportunity[a], "ForecastCategory") == 0 ||
	    strcmp(sf_opportunity[a], "ForecastCategoryName") == 0;
	assert_true(b);
	/* unknown columns pass through */
	expect_kept(m, sf_opportunity, n, "MainCompetitors__c");
	expect_kept(m, sf_opportunity, n, "TrackingNumber__c");
	expect_kept(m, sf_opportunity, n, "ExpectedRevenue");
	sp_map_free(m);
}

static void
test_salesforce_history(void **state)
{
	sp_map *m = map_of("salesforce");
	size_t n = NELEM(sf_history);

	(void)state;
	/* a history: the deal id is OpportunityId, not the row's own Id, and
	 * the row's time is CreatedDate */
	expect_source(m, sf_history, n, "id", "OpportunityId");
	expect_source(m, sf_history, n, "at", "CreatedDate");
	expect_source(m, sf_history, n, "stage", "StageName");
	expect_source(m, sf_history, n, "amount", "Amount");
	expect_source(m, sf_history, n, "close_date", "CloseDate");
	expect_source(m, sf_history, n, "probability", "Probability");
	expect_kept(m, sf_history, n, "FromOpportunityStageName");
	sp_map_free(m);
}

static void
test_salesforce_lead(void **state)
{
	sp_map *m = map_of("salesforce");
	size_t n = NELEM(sf_lead);

	(void)state;
	expect_source(m, sf_lead, n, "id", "Id");
	expect_source(m, sf_lead, n, "stage", "Status");
	expect_source(m, sf_lead, n, "company", "Company");
	expect_source(m, sf_lead, n, "email", "Email");
	expect_source(m, sf_lead, n, "phone", "Phone");
	expect_source(m, sf_lead, n, "source", "LeadSource");
	expect_source(m, sf_lead, n, "owner", "OwnerId");
	expect_source(m, sf_lead, n, "created_at", "CreatedDate");
	expect_source(m, sf_lead, n, "deal_id", "ConvertedOpportunityId");
	expect_kept(m, sf_lead, n, "Industry");
	expect_kept(m, sf_lead, n, "NumberofLocations__c");
	sp_map_free(m);
}

/* The salesforce preset carries Salesforce's deal stage list (a --stages
 * spec that stage.c parses, with Closed Won won and Closed Lost lost); a
 * lead list, if any, must parse too. */
static void
test_salesforce_stages(void **state)
{
	sp_map *m = map_of("salesforce");
	const char *spec;
	sp_stages *st;
	sp_error e;
	int i;

	(void)state;
	spec = sp_map_stages(m, SP_STAGES_DEALS);
	assert_non_null(spec);
	sp_err_clear(&e);
	st = sp_stages_parse(spec, &e);
	if (st == NULL)
		fail_msg("preset deal stages '%s': %s", spec, e.msg);
	i = sp_stages_find(st, "Closed Won", 10);
	assert_true(i >= 0);
	assert_int_equal(st->v[i].kind, SP_WON);
	i = sp_stages_find(st, "Closed Lost", 11);
	assert_true(i >= 0);
	assert_int_equal(st->v[i].kind, SP_LOST);
	/* the stages seen in the sample export */
	assert_true(sp_stages_find(st, "Prospecting", 11) >= 0);
	assert_true(sp_stages_find(st, "Id. Decision Makers", 19) >= 0);
	assert_true(sp_stages_find(st, "Proposal/Price Quote", 20) >= 0);
	assert_true(sp_stages_find(st, "Negotiation/Review", 18) >= 0);
	sp_stages_free(st);

	spec = sp_map_stages(m, SP_STAGES_LEADS);
	if (spec != NULL) {
		st = sp_stages_parse(spec, &e);
		if (st == NULL)
			fail_msg("preset lead stages '%s': %s", spec, e.msg);
		assert_true(sp_stages_find(st, "Working - Contacted", 19) >= 0);
		sp_stages_free(st);
	}
	sp_map_free(m);
}

/* HubSpot's deals view export (labels) and API records (internal names),
 * the headers of tests/cases/funnel/hubspot-ui and hubspot-pipelines. */
static const char *const hs_ui[] = {
	"Record ID", "Deal Name", "Pipeline", "Deal Stage", "Amount",
	"Close Date", "Create Date", "Deal owner", "Deal probability",
	"Currency", "Associated Company",
};
static const char *const hs_api[] = {
	"hs_object_id", "dealname", "pipeline", "dealstage", "amount",
	"closedate", "createdate", "hubspot_owner_id",
	"hs_deal_stage_probability", "hs_lastmodifieddate",
};
static const char *const pd_deals[] = {
	"Deal - ID", "Deal - Title", "Deal - Organization", "Deal - Value",
	"Deal - Currency", "Deal - Pipeline", "Deal - Stage", "Deal - Status",
	"Deal - Owner", "Deal - Deal created", "Deal - Won time",
	"Deal - Lost time", "Deal - Expected close date",
	"Deal - Lost reason", "Deal - Probability", "Deal - Label",
};

static void
test_hubspot(void **state)
{
	sp_map *m = map_of("hubspot");
	size_t n = NELEM(hs_ui), k = NELEM(hs_api);
	const char *spec;
	sp_stages *st;
	sp_error e;
	int i;

	(void)state;
	expect_source(m, hs_ui, n, "id", "Record ID");
	expect_source(m, hs_ui, n, "name", "Deal Name");
	expect_source(m, hs_ui, n, "pipeline", "Pipeline");
	expect_source(m, hs_ui, n, "stage", "Deal Stage");
	expect_source(m, hs_ui, n, "amount", "Amount");
	expect_source(m, hs_ui, n, "close_date", "Close Date");
	expect_source(m, hs_ui, n, "created_at", "Create Date");
	expect_source(m, hs_ui, n, "owner", "Deal owner");
	expect_source(m, hs_ui, n, "probability", "Deal probability");
	expect_source(m, hs_ui, n, "currency", "Currency");
	expect_kept(m, hs_ui, n, "Associated Company");
	expect_source(m, hs_api, k, "id", "hs_object_id");
	expect_source(m, hs_api, k, "name", "dealname");
	expect_source(m, hs_api, k, "pipeline", "pipeline");
	expect_source(m, hs_api, k, "stage", "dealstage");
	expect_source(m, hs_api, k, "close_date", "closedate");
	expect_source(m, hs_api, k, "created_at", "createdate");
	expect_source(m, hs_api, k, "owner", "hubspot_owner_id");
	expect_source(m, hs_api, k, "probability", "hs_deal_stage_probability");
	expect_kept(m, hs_api, k, "hs_lastmodifieddate");
	/* fractions */
	assert_int_equal(sp_map_prob_scale(m), 1);
	/* the default pipeline's stages, by label or id */
	spec = sp_map_stages(m, SP_STAGES_DEALS);
	assert_non_null(spec);
	assert_null(sp_map_stages(m, SP_STAGES_LEADS));
	sp_err_clear(&e);
	if ((st = sp_stages_parse(spec, &e)) == NULL)
		fail_msg("preset deal stages: %s", e.msg);
	assert_int_equal(st->n, 7);
	assert_int_equal(st->npipes, 1);
	assert_int_equal(sp_stages_pipeline(st, "default", 7), 0);
	assert_int_equal(sp_stages_pipeline(st, "Sales Pipeline", 14), 0);
	i = sp_stages_find(st, "closedwon", 9);
	assert_int_equal(i, 5);
	assert_int_equal(st->v[i].kind, SP_WON);
	assert_int_equal(sp_stages_find(st, "Closed Won", 10), 5);
	assert_int_equal(st->v[sp_stages_find(st, "closedlost", 10)].kind,
	    SP_LOST);
	assert_int_equal(sp_stages_find(st, "contractsent", 12), 4);
	assert_int_equal(st->v[4].prob_bp, 9000);
	sp_stages_free(st);
	sp_map_free(m);
}

static void
test_pipedrive(void **state)
{
	sp_map *m = map_of("pipedrive");
	size_t n = NELEM(pd_deals);
	sp_stages *st;
	sp_error e;

	(void)state;
	expect_source(m, pd_deals, n, "id", "Deal - ID");
	expect_source(m, pd_deals, n, "name", "Deal - Title");
	expect_source(m, pd_deals, n, "account", "Deal - Organization");
	expect_source(m, pd_deals, n, "amount", "Deal - Value");
	expect_source(m, pd_deals, n, "currency", "Deal - Currency");
	expect_source(m, pd_deals, n, "pipeline", "Deal - Pipeline");
	expect_source(m, pd_deals, n, "stage", "Deal - Stage");
	expect_source(m, pd_deals, n, "status", "Deal - Status");
	expect_source(m, pd_deals, n, "owner", "Deal - Owner");
	expect_source(m, pd_deals, n, "created_at", "Deal - Deal created");
	expect_source(m, pd_deals, n, "won_at", "Deal - Won time");
	expect_source(m, pd_deals, n, "lost_at", "Deal - Lost time");
	expect_source(m, pd_deals, n, "close_date",
	    "Deal - Expected close date");
	expect_source(m, pd_deals, n, "lost_reason", "Deal - Lost reason");
	expect_source(m, pd_deals, n, "probability", "Deal - Probability");
	expect_kept(m, pd_deals, n, "Deal - Label");
	/* percentages */
	assert_int_equal(sp_map_prob_scale(m), 0);
	sp_err_clear(&e);
	if ((st = sp_stages_parse(sp_map_stages(m, SP_STAGES_DEALS), &e)) ==
	    NULL)
		fail_msg("preset deal stages: %s", e.msg);
	assert_int_equal(st->npipes, 0);
	assert_int_equal(sp_stages_first_won(st), 5);
	assert_int_equal(st->v[6].kind, SP_LOST);
	assert_int_equal(sp_stages_find(st, "negotiations started", 20), 4);
	sp_stages_free(st);
	sp_map_free(m);
}

/* A preset applies only to inputs it identifies: the Maven export is left
 * alone (its "account" and "close_date" are not shadowed). */
static void
test_preset_other_input(void **state)
{
	sp_map *m = map_of("salesforce");

	(void)state;
	check_resolve(m, maven, NELEM(maven), maven);
	sp_map_free(m);
}

/* A preset plus an inline list: the list wins for its names. */
static void
test_preset_then_inline(void **state)
{
	sp_map *m = map_of("salesforce");
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_map_add(m, "amount=ExpectedRevenue", &e), 0);
	expect_source(m, sf_opportunity, NELEM(sf_opportunity), "amount",
	    "ExpectedRevenue");
	expect_source(m, sf_opportunity, NELEM(sf_opportunity), "stage",
	    "StageName");
	sp_map_free(m);
}

static void
test_free_empty(void **state)
{
	(void)state;
	sp_map_free(sp_map_new());
}

/* issue 9 item 19: a name in another case is the canonical one when no
 * field resolved to it exactly */
static void
test_fold_case(void **state)
{
	const char *names[] = { "ID", "Stage", "stage_x", "AMOUNT", "Amount",
	    "id" };
	const char *out[6];
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		out[i] = names[i];
	sp_map_fold_case(names, 6, out);
	assert_string_equal(out[0], "ID");	/* id is there exactly */
	assert_string_equal(out[1], "stage");
	assert_string_equal(out[2], "stage_x");	/* not a canonical name */
	assert_string_equal(out[3], "amount");	/* the first of two */
	assert_string_equal(out[4], "Amount");
	assert_string_equal(out[5], "id");
	/* a field --map renamed is left alone, and counts as exact */
	out[1] = "probability";
	out[3] = names[3];
	sp_map_fold_case(names, 6, out);
	assert_string_equal(out[1], "probability");
	assert_string_equal(sp_map_canonical_fold("CLOSE_DATE"), "close_date");
	assert_null(sp_map_canonical_fold("close_date"));
	assert_null(sp_map_canonical_fold("closedate"));
}

/* --probability-scale of presets: Salesforce writes percentages (0: the
 * default 100); no map, or no preset, says nothing either. */
static void
test_prob_scale(void **state)
{
	sp_map *m = sp_map_new();
	sp_error e;

	(void)state;
	assert_int_equal(sp_map_prob_scale(NULL), 0);
	assert_non_null(m);
	assert_int_equal(sp_map_prob_scale(m), 0);
	sp_err_clear(&e);
	assert_int_equal(sp_map_add(m, "id=Id", &e), 0);
	assert_int_equal(sp_map_prob_scale(m), 0);
	assert_int_equal(sp_map_add(m, "salesforce", &e), 0);
	assert_int_equal(sp_map_prob_scale(m), 0);
	sp_map_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_inline_maven),
		cmocka_unit_test(test_shadow_literal_column),
		cmocka_unit_test(test_literal_column_when_source_absent),
		cmocka_unit_test(test_explicit_overrides_preset),
		cmocka_unit_test(test_salesforce_names_currency),
		cmocka_unit_test(test_hubspot),
		cmocka_unit_test(test_pipedrive),
		cmocka_unit_test(test_alternatives),
		cmocka_unit_test(test_losing_alternative_kept),
		cmocka_unit_test(test_later_overrides),
		cmocka_unit_test(test_several_maps_resolve),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_file_with_header),
		cmocka_unit_test(test_file_without_header),
		cmocka_unit_test(test_file_then_inline),
		cmocka_unit_test(test_preset_names),
		cmocka_unit_test(test_salesforce_opportunity),
		cmocka_unit_test(test_salesforce_history),
		cmocka_unit_test(test_salesforce_lead),
		cmocka_unit_test(test_salesforce_stages),
		cmocka_unit_test(test_preset_other_input),
		cmocka_unit_test(test_preset_then_inline),
		cmocka_unit_test(test_free_empty),
		cmocka_unit_test(test_fold_case),
		cmocka_unit_test(test_prob_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
