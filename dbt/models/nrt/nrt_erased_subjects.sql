{{ config(schema='internal') }}
{#- The erased ids as privacy.erased_subjects defines them, from the links folded in so far. -#}
{{ erased_subjects_from(ref('nrt_identity_links')) }}
