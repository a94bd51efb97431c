{#- Incremental person resolution: a batch of new records added to a resolved base without rebuilding it
    (`huitong er link --state DIR`, var er_incremental; docs/er.md, Incremental runs).

    With er_incremental the person models int_person_records, int_persons_blocked, int_persons_compared,
    int_persons_scored and int_persons_clustered are incremental, and every row they write carries er_batch, the
    number of the batch of records it was built for (1 for a full build). A run after the first
    - standardises only the records whose record_key the base does not hold (one new batch number);
    - blocks them: a new record of a profile the base holds is paired with that profile's first record; the
      blocks the new profiles' keys fall in are ranked again over all profiles, and the pairs of those blocks'
      sorted neighbourhoods with a new profile on either side are added (the pairs a full build would make for
      them; older pairs stay, even where a new profile pushed one out of the window);
    - compares and scores only those pairs, with the base's parameters;
    - clusters again only the records of the clusters the new links or the new records' resident IDs touch, plus
      the new records (delete + insert): a cluster no new link reaches keeps its assignment, as a full build
      would give it;
    - the id map (er_id_history) reads only the re-clustered records: those clusters are whole entities.
    Each model takes a batch once (er_pending_batch): a build that stopped half way resumes where it stopped.
    A record already in the base is not read again (a changed record needs a full build), and name frequencies
    of base records stay those of their batch.
    Off by default: the warehouse rebuilds these tables in full, and only `er link` (on DuckDB) uses batches. -#}

{%- macro er_batch_materialization() -%}
    {{ return('incremental' if var('er_incremental', false) else 'table') }}
{%- endmacro -%}

{#- True when this build adds a batch to the model's existing table. -#}
{%- macro er_batch_run() -%}
    {{ return(var('er_incremental', false) and is_incremental()) }}
{%- endmacro -%}

{#- The batch this build is for: the newest of int_person_records (which numbers them), 1 in a full build. -#}
{%- macro er_current_batch() -%}
    {%- if var('er_incremental', false) -%}(select max(er_batch) from {{ ref('int_person_records') }})
    {%- else -%}1{%- endif -%}
{%- endmacro -%}

{#- The rows (by er_batch) to process in a batch build: those of the current batch, and none when this model
    has taken that batch already. So a batch build that stopped half way resumes where it stopped, and a run
    whose input held no new records (no new batch) adds nothing. -#}
{%- macro er_pending_batch() -%}
    er_batch = {{ er_current_batch() }}
    and {{ er_current_batch() }} > (select coalesce(max(er_batch), 0) from {{ this }})
{%- endmacro -%}
