/* redset_tables.h: the Redset metric tables (docs/metrics.md section 4):
 * what the redset_metrics transform (tr_redset_metrics.c) produces, and
 * what the dashboard's API (serve/) reads back through the hot store's typed
 * reads.  Each table is one tb_def; its columns are named by these indexes,
 * so no reader spells a column name again. */
#ifndef PG_REDSET_TABLES_H
#define PG_REDSET_TABLES_H

#include "schema/table.h"

/* query_hourly: key (hour, source, instance_id, query_type) */
enum {
    RS_QH_HOUR,
    RS_QH_SOURCE,
    RS_QH_INSTANCE,
    RS_QH_QUERY_TYPE,
    RS_QH_QUERIES,
    RS_QH_ABORTED,
    RS_QH_CACHED,
    RS_QH_SPILLED,
    RS_QH_COMPILE_MS_SUM,
    RS_QH_QUEUE_MS_SUM,
    RS_QH_EXEC_MS_SUM,
    RS_QH_MBYTES_SCANNED_SUM,
    RS_QH_MBYTES_SPILLED_SUM,
    RS_QH_NCOLS
};
/* spill_hourly: key (hour, query_type) */
enum { RS_SP_HOUR, RS_SP_QUERY_TYPE, RS_SP_SPILLED, RS_SP_MBYTES_SPILLED_SUM, RS_SP_QUERIES, RS_SP_NCOLS };
/* cache_hourly: key (hour, source, instance_id) */
enum { RS_CA_HOUR, RS_CA_SOURCE, RS_CA_INSTANCE, RS_CA_CACHED, RS_CA_QUERIES, RS_CA_HIT_RATE, RS_CA_NCOLS };
/* top_tables_hourly: key (hour, source, instance_id, rank) */
enum { RS_TT_HOUR, RS_TT_SOURCE, RS_TT_INSTANCE, RS_TT_RANK, RS_TT_TABLE_ID, RS_TT_READS, RS_TT_NCOLS };
/* compile_joins_hourly: key (hour, joins_bucket) */
enum { RS_CJ_HOUR, RS_CJ_BUCKET, RS_CJ_QUERIES, RS_CJ_COMPILE_MS_SUM, RS_CJ_COMPILE_MS_MAX, RS_CJ_NCOLS };
/* compile_corr_hourly: key (hour) */
enum { RS_CC_HOUR, RS_CC_N, RS_CC_CORR, RS_CC_NCOLS };
/* utilization_hourly: key (hour, source, instance_id) */
enum {
    RS_UT_HOUR,
    RS_UT_SOURCE,
    RS_UT_INSTANCE,
    RS_UT_BUSY_MS,
    RS_UT_AVG_CONCURRENCY,
    RS_UT_Q_SCORE,
    RS_UT_C_SCORE,
    RS_UT_S_SCORE,
    RS_UT_P_SCORE,
    RS_UT_COMPOSITE,
    RS_UT_OVERSUBSCRIBED,
    RS_UT_SLOWDOWN,
    RS_UT_FP_GROUPS,
    RS_UT_NCOLS
};

extern const tb_def rs_query_hourly, rs_spill_hourly, rs_cache_hourly, rs_top_tables_hourly, rs_compile_joins_hourly,
    rs_compile_corr_hourly, rs_utilization_hourly;

/* The join buckets of compile_joins_hourly, in bucket order. */
#define RS_N_JOIN_BUCKETS 7
extern const char *const rs_join_bucket_names[RS_N_JOIN_BUCKETS]; /* "0","1","2","3","4-5","6-9","10+" */

#endif
