// Moved to tests/helpers; kept while the openclip tests still import it from here.
export * from '../../helpers/shared-fixtures.ts';
