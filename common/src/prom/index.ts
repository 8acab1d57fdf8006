// @eastwest/common/prom: the schema's series as a Prometheus exposition (text 0.0.4, OpenMetrics 1.0.0). Pure.
export { buildFamilies, convertUnit, familyOf, LABEL_NAME_RE, measurementPrefix, METRIC_NAME_RE, RESERVED_NAMES, type Family, type FamilyTable, type PromType } from "./names.ts";
export { escapeHelp, escapeLabelValue, formatFloat, formatValue, wellFormed, type ExpositionFormat } from "./escape.ts";
export { CONTENT_TYPES, Exposer, negotiate, type Exposition, type LatestPoint, type RenderOptions } from "./render.ts";
