// The profile's text rules: text a vendor's files cannot carry although the
// API accepts it. Checked on every account a vendor's file is rendered with,
// and renders happen when a change is made, so the admin's change is refused
// with the rule's reason instead of the phone getting the value mangled.
import { ACCOUNT_TEXT_FIELDS, type AccountTextField, type VendorProfile } from './profiles.ts';

const SAID: Record<AccountTextField, string> = {
  number: 'number',
  displayName: 'display name',
  label: 'label',
  authUsername: 'auth user name',
  password: 'secret',
};

interface Rule {
  fields: readonly AccountTextField[];
  refuse: RegExp | null;
  maxLength: number | null;
  reason: string;
}

const compiled = new WeakMap<VendorProfile, Rule[]>();

function rulesOf(profile: VendorProfile): Rule[] {
  let rules = compiled.get(profile);
  if (!rules) {
    rules = profile.textRules.map((r) => ({
      fields: r.fields,
      refuse: r.refuse ? new RegExp(r.refuse, 'u') : null,
      maxLength: r.maxLength ?? null,
      reason: r.reason,
    }));
    compiled.set(profile, rules);
  }
  return rules;
}

/** The first rule an account's text breaks, said without quoting the value; null when the vendor takes all of it. */
export function textRuleProblem(profile: VendorProfile, account: Record<AccountTextField, string>): string | null {
  for (const rule of rulesOf(profile)) {
    for (const field of ACCOUNT_TEXT_FIELDS) {
      if (!rule.fields.includes(field)) continue;
      const value = account[field];
      // Code points, as a phone counts characters.
      const tooLong = rule.maxLength !== null && [...value].length > rule.maxLength;
      if (tooLong || rule.refuse?.test(value)) {
        const limit = tooLong ? ` (at most ${rule.maxLength} characters)` : '';
        return `${profile.name} phones cannot take this ${SAID[field]}${limit}: ${rule.reason}`;
      }
    }
  }
  return null;
}
