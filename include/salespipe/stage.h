/*
 * stage: the ordered stage list with kinds (open, won, lost),
 * probabilities and forecast categories; from a file, an inline list,
 * $SALESPIPE_STAGES, a preset's list or the built-in defaults.
 */
#ifndef SALESPIPE_STAGE_H
#define SALESPIPE_STAGE_H

#include <stddef.h>
#include "salespipe/err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SP_OPEN = 0, SP_WON, SP_LOST };
enum {
	SP_FC_PIPELINE = 0, SP_FC_BEST_CASE, SP_FC_COMMIT, SP_FC_CLOSED,
	SP_FC_OMITTED
};

typedef struct sp_stage {
	char *name;		/* unique in the list: with two or more
				   pipelines "pipeline: label" */
	const char *label;	/* the stage's own name (into name) */
	char *id;		/* another name records may use (a CRM's
				   internal stage id), or NULL */
	int pipeline;		/* index into sp_stages.pipes, or -1 */
	int kind;		/* SP_OPEN, SP_WON, SP_LOST */
	int prob_bp;		/* probability, hundredths of a percent */
	int category;		/* SP_FC_* */
	int flags;		/* SP_STAGE_* */
} sp_stage;

/* sp_stage.flags: how the list gave the stage. */
enum {
	SP_STAGE_KIND_SET = 1,	/* its kind was written (a kind field or
				   column), not taken from its name */
	SP_STAGE_NO_PROB = 2	/* an open stage of a stage file with no
				   probability: it counts as 0% */
};

/* A pipeline: a stage list of its own within the list. */
typedef struct sp_pipe {
	char *label;		/* as records and messages name it */
	char *id;		/* another name (a CRM's id), or NULL */
} sp_pipe;

typedef struct sp_stages {
	sp_stage *v;
	size_t n;
	sp_pipe *pipes;		/* pipelines in list order (their stages
				   are together, in order), npipes long;
				   none: every stage's pipeline is -1 */
	size_t npipes;
	/* private */
	int has_ids;		/* a stage has an id */
	char *known;		/* "a, b, c" for messages */
	int from_file;		/* parsed from a stage file */
} sp_stages;

/* The most stages a list may have. */
#define SP_STAGES_MAX 1024

/* Which built-in default list. */
enum { SP_STAGES_DEALS = 0, SP_STAGES_LEADS };

/*
 * Parse a stage specification: a path to a CSV file (when spec names an
 * existing file or ends in .csv) with columns stage,kind,probability,
 * forecast_category,id,pipeline,pipeline_id (header required; only stage
 * is mandatory), or an inline comma-separated list of
 * name[:kind[:probability[:category[:id[:pipeline]]]]] (pipeline
 * "label" or "label|id").  Stages of one pipeline are kept together, in
 * the order given, pipelines in order of first appearance; with two or
 * more pipelines a stage's name is "pipeline: label", and every stage
 * must name its pipeline.  Each pipeline needs an open stage.
 * Inline, without a kind: a name equal to "won" or "lost", or ending in
 * " won" / " lost" (case-insensitively), takes that kind, others are open;
 * without a probability, open stage i (from 0) of k open stages gets
 * round(100*(i+1)/(k+1)), won 100, lost 0; without a category: open
 * pipeline, won closed, lost omitted.  Returns a list to free
 * with sp_stages_free, or NULL with e set.  Needs at least one open stage.
 */
sp_stages *sp_stages_parse(const char *spec, sp_error *e);

/* A copy of the built-in default list (SP_STAGES_DEALS or _LEADS). */
sp_stages *sp_stages_default(int which);

/*
 * The list a program uses: spec (--stages) if not NULL, else
 * $SALESPIPE_STAGES ($SALESPIPE_LEAD_STAGES for SP_STAGES_LEADS) if set
 * and non-empty, else preset (a preset's list)
 * if not NULL, else the default `which`.
 */
sp_stages *sp_stages_resolve(const char *spec, const char *preset, int which,
    sp_error *e);

void sp_stages_free(sp_stages *st);

/*
 * Index of the stage named s (n bytes, blanks around ignored),
 * case-insensitive, or -1.  Besides its name, a stage's label or id
 * finds it when no other stage has that label or id.  It writes nothing:
 * threads may call it on one st at once.
 */
int sp_stages_find(const sp_stages *st, const char *s, size_t n);

/*
 * The pipeline named s (n bytes: its label or id, case-insensitive):
 * its index in st->pipes, or -1.
 */
int sp_stages_pipeline(const sp_stages *st, const char *s, size_t n);

/*
 * Index of the stage s (its name, label or id) of pipeline p (-1: of
 * any pipeline), or -1 when there is none, -2 (p -1 only) when stages
 * of several pipelines answer to s.  Writes nothing.
 */
int sp_stages_find_in(const sp_stages *st, int p, const char *s, size_t n);

/*
 * The labels of pipeline p's stages ("a, b, c"), or of the pipelines'
 * labels when p is -1, into buf (size bytes, cut with "..." when
 * longer); returns buf.
 */
const char *sp_stages_known_in(const sp_stages *st, int p, char *buf,
    size_t size);

/*
 * "a, b, c": the names, for "unknown stage" messages; a list from
 * sp_stages_resolve adds where another list comes from ("a, b, c; another
 * stage list: --stages or $SALESPIPE_STAGES").
 */
const char *sp_stages_known(const sp_stages *st);

/*
 * A warning about stage i, written into buf (size bytes) and returned, or
 * NULL when there is none: an open stage whose kind was not written but
 * whose name holds the word "won" or "lost" (case-insensitively, as a
 * word: "Won - Closed self-serve"), which an inline list takes as open.
 * The text names the stage and the fix (name:won, or the stage file's
 * kind column).  The program prints it.
 */
const char *sp_stages_warning(const sp_stages *st, size_t i, char *buf,
    size_t size);

/* Name of kind and of category ("open", "won", "lost"; "pipeline", ...). */
const char *sp_stage_kind_name(int kind);
const char *sp_stage_category_name(int cat);
/* Parse those names back; -1 if unknown. */
int sp_stage_kind_parse(const char *s);
int sp_stage_category_parse(const char *s);

/* Index of the first open stage, and of the first won stage (-1: none). */
int sp_stages_first_open(const sp_stages *st);
int sp_stages_first_won(const sp_stages *st);

/*
 * Index of the first stage of kind (SP_OPEN, SP_WON, SP_LOST) in the
 * pipeline of stage s (the whole list when s is -1 or has none), or -1.
 */
int sp_stages_first_of(const sp_stages *st, int s, int kind);

/* 1 when stages a and b are of one pipeline (or the list has none). */
int sp_stages_same_pipeline(const sp_stages *st, int a, int b);

#ifdef __cplusplus
}
#endif

#endif
