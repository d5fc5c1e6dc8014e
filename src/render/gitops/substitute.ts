/**
 * Flux's post-build variable substitution (fluxcd/pkg/envsubst, after drone/envsubst): `${VAR}`,
 * `${VAR:=default}`, `${VAR:-default}`, `${VAR=default}`, `${VAR-default}`. Only the braced form is
 * substituted (`$VAR` is left alone), and only once: a value holding `${…}` is not expanded again.
 */

const REFERENCE = /\$\{([^}]*)\}/g;
const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const WITH_DEFAULT = /^([_a-zA-Z][_a-zA-Z0-9]*)(:?[=-])(.*)$/s;

export interface Variable {
  value: string;
}

export interface SubstitutionResult {
  value: string;
  /** Variables whose value was used, in order. */
  used: string[];
  /** Variables that no source defines while some source could not be read: left as written. */
  unresolved: string[];
  /** Expressions Flux supports that are not reproduced here (`${VAR/a/b}`, …): left as written. */
  unsupported: string[];
}

/**
 * Substitutes `${…}` in `text`. `complete` says whether every source of variables was read: when it
 * is not, an undefined variable may be defined in the missing source and is left as written; when it
 * is, it becomes its default or the empty string, as kustomize-controller does.
 */
export function substitute(
  text: string,
  variables: ReadonlyMap<string, Variable>,
  complete: boolean,
): SubstitutionResult {
  const result: SubstitutionResult = { value: '', used: [], unresolved: [], unsupported: [] };
  result.value = text.replace(REFERENCE, (whole, inner: string) => {
    if (NAME.test(inner)) {
      const variable = variables.get(inner);
      if (variable) {
        result.used.push(inner);
        return variable.value;
      }
      if (!complete) {
        result.unresolved.push(inner);
        return whole;
      }
      return '';
    }
    const withDefault = WITH_DEFAULT.exec(inner);
    if (withDefault) {
      const [, name, operator, fallback] = withDefault as unknown as [string, string, string, string];
      const variable = variables.get(name);
      // `:=`/`:-` also replace an empty value; `=`/`-` only an unset one.
      if (variable && (variable.value !== '' || !operator.startsWith(':'))) {
        result.used.push(name);
        return variable.value;
      }
      if (!variable && !complete) {
        result.unresolved.push(name);
        return whole;
      }
      return fallback;
    }
    result.unsupported.push(inner);
    return whole;
  });
  return result;
}

/** Whether `text` holds a `${…}` reference. */
export function hasReference(text: string): boolean {
  return /\$\{[^}]*\}/.test(text);
}
