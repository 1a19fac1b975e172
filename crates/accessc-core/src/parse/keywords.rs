//! The language's keywords, in one table: the lexical pass splits a file at
//! its item keywords, completion offers the keywords the grammar expects at the
//! cursor, and a test holds the table to the `kw_*` rules of
//! `grammar/access.pest`.

use super::text_to_ast::Rule;

/// One keyword and the grammar rule that reads it.
#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    pub text: &'static str,
    pub rule: Rule,
    /// Begins an item: at the start of a line, outside braces, the lexical
    /// pass starts a new item at it.
    pub item: bool,
    /// Separates list items, so it names nothing (the grammar's `reserved`).
    pub reserved: bool,
}

const fn word(text: &'static str, rule: Rule) -> Keyword {
    Keyword {
        text,
        rule,
        item: false,
        reserved: false,
    }
}

const fn item(text: &'static str, rule: Rule) -> Keyword {
    Keyword {
        item: true,
        ..word(text, rule)
    }
}

const fn reserved(text: &'static str, rule: Rule) -> Keyword {
    Keyword {
        reserved: true,
        ..word(text, rule)
    }
}

/// Every keyword, in the order completion offers them: the words that
/// continue a clause, then the item keywords, then the members of blocks.
pub const KEYWORDS: &[Keyword] = &[
    reserved("not", Rule::kw_not),
    reserved("with", Rule::kw_with),
    reserved("on", Rule::kw_on),
    reserved("when", Rule::kw_when),
    reserved("and", Rule::kw_and),
    reserved("to", Rule::kw_to),
    reserved("except", Rule::kw_except),
    reserved("owner", Rule::kw_owner),
    reserved("until", Rule::kw_until),
    word("from", Rule::kw_from),
    word("json", Rule::kw_json),
    word("id", Rule::kw_id),
    word("notify", Rule::kw_notify),
    item("use", Rule::kw_use),
    item("instance", Rule::kw_instance),
    item("attributes", Rule::kw_attributes),
    item("org", Rule::kw_org),
    item("group", Rule::kw_group),
    item("user", Rule::kw_user),
    item("policy", Rule::kw_policy),
    item("managed_policy", Rule::kw_managed_policy),
    item("function", Rule::kw_function),
    item("grant", Rule::kw_grant),
    item("forbid", Rule::kw_forbid),
    item("limit", Rule::kw_limit),
    item("quotas", Rule::kw_quotas),
    word("path", Rule::kw_path),
    word("description", Rule::kw_description),
    word("session", Rule::kw_session),
    word("relay", Rule::kw_relay),
    word("managed", Rule::kw_managed),
    word("customer", Rule::kw_customer),
    word("boundary", Rule::kw_boundary),
    word("inline", Rule::kw_inline),
    word("tags", Rule::kw_tags),
    word("break_glass", Rule::kw_break_glass),
    word("name", Rule::kw_name),
    word("external", Rule::kw_external),
    reserved("in", Rule::kw_in),
    word("allow", Rule::kw_allow),
    word("deny", Rule::kw_deny),
    word("root", Rule::kw_root),
    word("management", Rule::kw_management),
    word("ou", Rule::kw_ou),
    word("account", Rule::kw_account),
    word("suspended", Rule::kw_suspended),
    word("pending_closure", Rule::kw_pending_closure),
    word("closed", Rule::kw_closed),
    word("arn", Rule::kw_arn),
    word("identity_store", Rule::kw_identity_store),
    word("region", Rule::kw_region),
    word("replicas", Rule::kw_replicas),
    word("start_url", Rule::kw_start_url),
];

/// The keyword a `kw_*` rule reads.
pub fn keyword(rule: Rule) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.rule == rule)
}

/// Whether `word` begins an item.
pub fn is_item_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.item && k.text == word)
}

/// The keyword rules a rule may begin with, for a rule that pest reports as
/// expected. Pest reports a rule in place of what it begins with when several
/// things may begin it (`statement`, not `kw_allow` and `kw_deny`), so those
/// rules are listed here; a test computes the same sets from the grammar.
pub fn leading_keywords(rule: Rule) -> &'static [Rule] {
    match rule {
        Rule::statement | Rule::effect => &[Rule::kw_allow, Rule::kw_deny],
        Rule::principal | Rule::principal_kind => &[Rule::kw_group, Rule::kw_user],
        Rule::target => &[Rule::kw_root, Rule::kw_account],
        Rule::account_state => &[
            Rule::kw_suspended,
            Rule::kw_pending_closure,
            Rule::kw_closed,
        ],
        _ => match keyword(rule) {
            Some(k) => std::slice::from_ref(&k.rule),
            None => &[],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pest_meta::ast::{Expr, Rule as AstRule, RuleType};
    use std::collections::{BTreeMap, BTreeSet};

    const GRAMMAR: &str = include_str!("../../../../grammar/access.pest");

    fn grammar() -> BTreeMap<String, AstRule> {
        let pairs = pest_meta::parser::parse(pest_meta::parser::Rule::grammar_rules, GRAMMAR)
            .unwrap_or_else(|e| panic!("{e}"));
        let rules = pest_meta::parser::consume_rules(pairs).unwrap_or_else(|e| panic!("{e:?}"));
        rules.into_iter().map(|r| (r.name.clone(), r)).collect()
    }

    fn name(rule: Rule) -> String {
        format!("{rule:?}")
    }

    /// `"word" ~ !ident_char`: the literal a keyword rule reads.
    fn keyword_literal(expr: &Expr) -> Option<&str> {
        match expr {
            Expr::Seq(a, b) => match (a.as_ref(), b.as_ref()) {
                (Expr::Str(s), Expr::NegPred(n)) if **n == Expr::Ident("ident_char".into()) => {
                    Some(s)
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn literals(expr: &Expr, out: &mut BTreeSet<String>) {
        for e in expr.iter_top_down() {
            if let Expr::Str(s) = e {
                out.insert(s);
            }
        }
    }

    #[test]
    fn the_table_holds_every_keyword_of_the_grammar_and_no_other() {
        let g = grammar();
        let in_grammar: BTreeMap<String, String> = g
            .values()
            .filter(|r| r.name.starts_with("kw_"))
            .map(|r| {
                let lit = keyword_literal(&r.expr)
                    .unwrap_or_else(|| panic!("`{}` is not `\"word\" ~ !ident_char`", r.name));
                (r.name.clone(), lit.to_string())
            })
            .collect();
        let in_table: BTreeMap<String, String> = KEYWORDS
            .iter()
            .map(|k| (name(k.rule), k.text.to_string()))
            .collect();
        assert_eq!(in_table.len(), KEYWORDS.len(), "a rule twice in the table");
        assert_eq!(in_table, in_grammar);
        // Every rule named like a keyword rule is one, and no other rule of the
        // grammar reads a keyword's word by itself.
        for r in g.values().filter(|r| !r.name.starts_with("kw_")) {
            if let Some(lit) = keyword_literal(&r.expr) {
                panic!(
                    "`{}` reads the keyword `{lit}` outside a `kw_` rule",
                    r.name
                );
            }
        }
    }

    #[test]
    fn the_reserved_words_are_the_grammars() {
        let g = grammar();
        let mut words = BTreeSet::new();
        literals(&g["reserved"].expr, &mut words);
        let table: BTreeSet<String> = KEYWORDS
            .iter()
            .filter(|k| k.reserved)
            .map(|k| k.text.to_string())
            .collect();
        assert_eq!(table, words);
    }

    #[test]
    fn the_item_keywords_begin_the_items() {
        let g = grammar();
        let mut alternatives = Vec::new();
        fn choices<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
            match e {
                Expr::Choice(a, b) => {
                    choices(a, out);
                    choices(b, out);
                }
                Expr::Ident(n) => out.push(n),
                other => panic!("unexpected item alternative {other:?}"),
            }
        }
        choices(&g["item"].expr, &mut alternatives);
        let mut firsts = BTreeSet::new();
        fn leftmost(e: &Expr) -> &Expr {
            match e {
                Expr::Seq(a, _) => leftmost(a),
                e => e,
            }
        }
        for a in alternatives {
            let Expr::Ident(kw) = leftmost(&g[a].expr) else {
                panic!("`{a}` does not begin with its keyword");
            };
            firsts.insert(kw.clone());
        }
        let table: BTreeSet<String> = KEYWORDS
            .iter()
            .filter(|k| k.item)
            .map(|k| name(k.rule))
            .collect();
        assert_eq!(table, firsts);
    }

    /// The grammar's view of how rules begin.
    struct Firsts<'g> {
        g: &'g BTreeMap<String, AstRule>,
    }

    impl Firsts<'_> {
        fn rule(&self, name: &str) -> Option<&AstRule> {
            self.g.get(name)
        }

        /// Whether `e` may match the empty input.
        fn nullable(&self, e: &Expr, seen: &mut BTreeSet<String>) -> bool {
            match e {
                Expr::Str(s) | Expr::Insens(s) => s.is_empty(),
                Expr::Range(..) => false,
                Expr::Ident(n) => match self.rule(n) {
                    Some(r) if seen.insert(n.clone()) => {
                        let v = self.nullable(&r.expr, seen);
                        seen.remove(n);
                        v
                    }
                    // Builtins (ASCII_DIGIT, ANY, EOI, …) read a character;
                    // a recursive rule is not empty through itself.
                    _ => n == "SOI" || n == "EOI",
                },
                Expr::PosPred(_) | Expr::NegPred(_) => true,
                Expr::Seq(a, b) => self.nullable(a, seen) && self.nullable(b, seen),
                Expr::Choice(a, b) => self.nullable(a, seen) || self.nullable(b, seen),
                Expr::Opt(_) | Expr::Rep(_) | Expr::RepMax(..) => true,
                Expr::RepExact(e, n) | Expr::RepMin(e, n) | Expr::RepMinMax(e, n, _) => {
                    *n == 0 || self.nullable(e, seen)
                }
                Expr::RepOnce(e) | Expr::Push(e) => self.nullable(e, seen),
                _ => true,
            }
        }

        /// The rules pest may try first in `e`: silent rules are looked
        /// through, since pest reports what they hold.
        fn leading(&self, e: &Expr, out: &mut BTreeSet<String>, seen: &mut BTreeSet<String>) {
            match e {
                Expr::Ident(n) => match self.rule(n) {
                    Some(r) if r.ty == RuleType::Silent => {
                        if seen.insert(n.clone()) {
                            self.leading(&r.expr, out, seen);
                        }
                    }
                    _ => {
                        out.insert(n.clone());
                    }
                },
                Expr::Seq(a, b) => {
                    self.leading(a, out, seen);
                    if self.nullable(a, &mut BTreeSet::new()) {
                        self.leading(b, out, seen);
                    }
                }
                Expr::Choice(a, b) => {
                    self.leading(a, out, seen);
                    self.leading(b, out, seen);
                }
                Expr::Opt(e)
                | Expr::Rep(e)
                | Expr::RepOnce(e)
                | Expr::RepExact(e, _)
                | Expr::RepMin(e, _)
                | Expr::RepMax(e, _)
                | Expr::RepMinMax(e, _, _)
                | Expr::Push(e) => self.leading(e, out, seen),
                // Lookaheads and literals report no rule.
                _ => {}
            }
        }

        /// The keyword rules `name` may begin with, through every rule.
        fn keywords(&self, name: &str, out: &mut BTreeSet<String>, seen: &mut BTreeSet<String>) {
            if name.starts_with("kw_") {
                out.insert(name.to_string());
                return;
            }
            let Some(r) = self.rule(name) else { return };
            // Inside an atomic rule pest tracks nothing.
            if r.ty == RuleType::Atomic || !seen.insert(name.to_string()) {
                return;
            }
            let mut first = BTreeSet::new();
            self.leading(&r.expr, &mut first, &mut BTreeSet::new());
            for f in first {
                self.keywords(&f, out, seen);
            }
        }
    }

    /// Pest reports a rule as expected in place of what it begins with unless
    /// exactly one rule may begin it; for every such rule `leading_keywords`
    /// names the keywords the grammar lets it begin with.
    #[test]
    fn leading_keywords_are_the_grammars() {
        let g = grammar();
        let f = Firsts { g: &g };
        let mut checked = 0;
        for rule in Rule::all_rules() {
            let n = name(*rule);
            let Some(r) = g.get(&n) else { continue };
            if r.ty == RuleType::Silent {
                continue;
            }
            let mut first = BTreeSet::new();
            f.leading(&r.expr, &mut first, &mut BTreeSet::new());
            let reported = n.starts_with("kw_") || first.len() != 1;
            if !reported {
                continue;
            }
            let mut want = BTreeSet::new();
            f.keywords(&n, &mut want, &mut BTreeSet::new());
            let have: BTreeSet<String> = leading_keywords(*rule).iter().map(|r| name(*r)).collect();
            assert_eq!(have, want, "the keywords `{n}` begins with");
            checked += 1;
        }
        assert!(checked > KEYWORDS.len(), "{checked}");
    }
}
