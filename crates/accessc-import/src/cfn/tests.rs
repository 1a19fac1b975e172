//! The CloudFormation reader on small templates: aws-sso-util's shapes,
//! accessc's, hand-written ones, and every refusal.

use super::*;

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
const GROUP: &str = "12345678-90ab-cdef-1234-567890abcdef";

fn file(name: &str, text: &str) -> SourceFile {
    SourceFile {
        name: name.into(),
        text: text.into(),
    }
}

fn input(files: &[(&str, &str)], params: &[(&str, &str)]) -> CfnInput {
    CfnInput {
        files: files.iter().map(|(n, t)| file(n, t)).collect(),
        parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn set_yaml(logical: &str, name: &str) -> String {
    format!(
        "  {logical}:\n    Type: AWS::SSO::PermissionSet\n    Properties:\n      InstanceArn: {INSTANCE}\n      Name: {name}\n      SessionDuration: PT4H\n      ManagedPolicies:\n      - arn:aws:iam::aws:policy/ReadOnlyAccess\n      InlinePolicy: '{{\"Version\": \"2012-10-17\", \"Statement\": []}}'\n"
    )
}

fn assignment_yaml(logical: &str, set_expr: &str, account: &str) -> String {
    format!(
        "  {logical}:\n    Type: AWS::SSO::Assignment\n    Properties:\n      InstanceArn: {INSTANCE}\n      PrincipalType: GROUP\n      PrincipalId: {GROUP}\n      PermissionSetArn: {set_expr}\n      TargetType: AWS_ACCOUNT\n      TargetId: '{account}'\n"
    )
}

#[test]
fn aws_sso_util_single_template() {
    let t = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n{}{}{}",
        set_yaml("PermSetDev", "Dev"),
        assignment_yaml(
            "A1",
            "!GetAtt 'PermSetDev.PermissionSetArn'",
            "111111111111"
        ),
        assignment_yaml(
            "A2",
            "!GetAtt [PermSetDev, PermissionSetArn]",
            "222222222222"
        ),
    );
    let m = read(&input(&[("out/c1.yaml", &t)], &[])).expect("read");
    assert_eq!(m.instance.arn.as_deref(), Some(INSTANCE));
    assert_eq!(m.permission_sets.len(), 1);
    assert_eq!(
        m.permission_sets[0].session_duration.as_deref(),
        Some("PT4H")
    );
    assert_eq!(m.assignments.len(), 2);
    assert!(m.assignments.iter().all(|a| a.permission_set == "Dev"));
}

#[test]
fn aws_sso_util_child_stacks_follow_parameters() {
    let parent = format!(
        "Resources:\n{}  c1000:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./c1/c1-000.yaml\n      Parameters:\n        PermSetDev: !GetAtt\n        - PermSetDev\n        - PermissionSetArn\n",
        set_yaml("PermSetDev", "Dev")
    );
    let child = format!(
        "Parameters:\n  PermSetDev:\n    Type: String\nResources:\n{}",
        assignment_yaml("A1", "!Ref 'PermSetDev'", "111111111111")
    );
    let m = read(&input(
        &[("out/c1.yaml", &parent), ("out/c1/c1-000.yaml", &child)],
        &[],
    ))
    .expect("read");
    assert_eq!(m.assignments.len(), 1);
    assert_eq!(m.assignments[0].permission_set, "Dev");

    // Without the child's file: named, with where it was looked for.
    let e = read(&input(&[("out/c1.yaml", &parent)], &[])).expect_err("missing child");
    assert!(e.message.contains("out/c1/c1-000.yaml"), "{e}");
    assert_eq!(e.at.as_deref(), Some("resource `c1000`"));
}

#[test]
fn accessc_exports_and_parameters() {
    let sets = "Parameters:\n  InstanceArn:\n    Type: String\n  NamePrefix:\n    Type: String\n    Default: accessc\nResources:\n  PermissionSetDev:\n    Type: AWS::SSO::PermissionSet\n    Properties:\n      Name: Dev\n      InstanceArn:\n        Ref: InstanceArn\n      InlinePolicy:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: \"*\"\n      Tags:\n        - Key: ManagedBy\n          Value: accessc\nOutputs:\n  PermissionSetDevArn:\n    Value:\n      Fn::GetAtt:\n        - PermissionSetDev\n        - PermissionSetArn\n    Export:\n      Name:\n        Fn::Sub: ${NamePrefix}:PermissionSetArn:Dev\n";
    let assignments = "Parameters:\n  InstanceArn:\n    Type: String\n  NamePrefix:\n    Type: String\n    Default: accessc\n  GroupIdDevs:\n    Type: String\nResources:\n  A1:\n    Type: AWS::SSO::Assignment\n    Properties:\n      InstanceArn:\n        Ref: InstanceArn\n      PermissionSetArn:\n        Fn::ImportValue:\n          Fn::Sub: ${NamePrefix}:PermissionSetArn:Dev\n      PrincipalType: GROUP\n      PrincipalId:\n        Ref: GroupIdDevs\n      TargetType: AWS_ACCOUNT\n      TargetId: \"111111111111\"\n";
    // Assignments come first in path order: the export is found anyway.
    let files = [
        ("t/assignments-Dev.template.yaml", assignments),
        ("t/permission-sets.template.yaml", sets),
    ];
    let m = read(&input(
        &files,
        &[("InstanceArn", INSTANCE), ("GroupIdDevs", GROUP)],
    ))
    .expect("read");
    assert_eq!(m.assignments[0].permission_set, "Dev");
    let p = m.permission_sets[0]
        .inline_policy
        .as_deref()
        .expect("inline");
    assert!(accessc_core::policy_json::same_policy(
        p,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
    ));

    // A principal id left as a parameter: the template, resource and reference.
    let e = read(&input(&files, &[("InstanceArn", INSTANCE)])).expect_err("unresolved");
    assert_eq!(e.file, "t/assignments-Dev.template.yaml");
    assert_eq!(e.at.as_deref(), Some("resource `A1`"));
    assert!(e.message.contains("`Ref: GroupIdDevs`"), "{e}");
    assert!(e.message.contains("--parameter GroupIdDevs="), "{e}");

    // The exporting template missing.
    let e = read(&input(
        &files[..1],
        &[("InstanceArn", INSTANCE), ("GroupIdDevs", GROUP)],
    ))
    .expect_err("no export");
    assert!(
        e.message
            .contains("no given template exports `accessc:PermissionSetArn:Dev`"),
        "{e}"
    );
}

#[test]
fn hand_written_stack_with_sub_join_and_conditions() {
    let t = format!(
        r#"{{
  "Parameters": {{"Env": {{"Type": "String", "Default": "prod"}}, "Id": {{"Type": "String"}}}},
  "Conditions": {{"IsProd": {{"Fn::Equals": [{{"Ref": "Env"}}, "prod"]}}, "IsDev": {{"Fn::Not": [{{"Condition": "IsProd"}}]}}}},
  "Resources": {{
    "Set": {{"Type": "AWS::SSO::PermissionSet", "Properties": {{
      "InstanceArn": {{"Fn::Sub": "arn:${{AWS::Partition}}:sso:::instance/ssoins-1234567890abcdef"}},
      "Name": {{"Fn::Join": ["-", ["Ops", {{"Ref": "Env"}}]]}},
      "Description": {{"Fn::If": ["IsProd", "production", {{"Ref": "AWS::NoValue"}}]}},
      "PermissionsBoundary": {{"ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}},
      "CustomerManagedPolicyReferences": [{{"Name": "P"}}]}}}},
    "DevOnly": {{"Type": "AWS::SSO::Assignment", "Condition": "IsDev", "Properties": {{}}}},
    "A": {{"Type": "AWS::SSO::Assignment", "Properties": {{
      "InstanceArn": "{INSTANCE}", "PermissionSetArn": {{"Ref": "Set"}},
      "PrincipalType": "USER", "PrincipalId": {{"Ref": "Id"}},
      "TargetType": "AWS_ACCOUNT", "TargetId": {{"Fn::Select": [1, {{"Fn::Split": [",", "111111111111,222222222222"]}}]}}}}}},
    "Other": {{"Type": "AWS::S3::Bucket"}}
  }}
}}"#
    );
    let m = read(&input(&[("ops.json", &t)], &[("Id", GROUP)])).expect("read");
    let s = &m.permission_sets[0];
    assert_eq!(s.name, "Ops-prod");
    assert_eq!(s.description.as_deref(), Some("production"));
    assert_eq!(s.customer_managed_policies[0].path, "/");
    assert!(matches!(
        s.permissions_boundary,
        Some(Boundary::ManagedPolicyArn(_))
    ));
    assert_eq!(m.assignments.len(), 1);
    assert_eq!(m.assignments[0].account_id, "222222222222");
    assert_eq!(m.assignments[0].principal_type, PrincipalType::User);
}

fn err(files: &[(&str, &str)]) -> ReadError {
    read(&input(files, &[])).expect_err("should be refused")
}

#[test]
fn bad_templates_are_refused_with_what_and_how() {
    let bad_policy = format!(
        "Resources:\n{}",
        set_yaml("S", "Dev").replace("\"Statement\": []", "\"Statement\": [")
    );
    let e = err(&[("a.yaml", &bad_policy)]);
    assert!(
        e.message
            .contains("inline policy of permission set `Dev` is not valid JSON"),
        "{e}"
    );
    assert_eq!(e.at.as_deref(), Some("resource `S`"));

    let foreign_set = format!(
        "Resources:\n{}",
        assignment_yaml(
            "A",
            "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
            "111111111111"
        )
    );
    let e = err(&[("a.yaml", &foreign_set)]);
    assert!(e.message.contains("no given template defines"), "{e}");

    let unknown_ref = format!(
        "Resources:\n{}",
        assignment_yaml("A", "!Ref Nowhere", "111111111111")
    );
    let e = err(&[("a.yaml", &unknown_ref)]);
    assert!(e.message.contains("`Ref: Nowhere` names neither"), "{e}");

    let get_att = format!(
        "Resources:\n{}",
        assignment_yaml("A", "!GetAtt Role.Arn", "111111111111")
    );
    assert!(err(&[("a.yaml", &get_att)]).message.contains("Role.Arn"));

    let bad_account = format!(
        "Resources:\n{}{}",
        set_yaml("S", "Dev"),
        assignment_yaml("A", "!Ref S", "1111")
    );
    assert!(err(&[("a.yaml", &bad_account)])
        .message
        .contains("12-digit"));

    let twice = format!(
        "Resources:\n{}{}",
        set_yaml("S", "Dev"),
        set_yaml("T", "Dev")
    );
    assert!(err(&[("a.yaml", &twice)])
        .message
        .contains("second permission set"));

    let macro_ = "Transform: AWS-SSO-Util-2020-11-08\nResources: {}\n";
    assert!(err(&[("a.yaml", macro_)]).help.contains("--macro"));

    assert!(err(&[("a.yaml", "A: 1\n")])
        .message
        .contains("no `Resources`"));
    assert!(err(&[("a.yaml", "Resources: [\n")])
        .message
        .contains("not valid YAML"));

    let remote = "Resources:\n  C:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: https://s3.amazonaws.com/b/c.yaml\n";
    assert!(err(&[("a.yaml", remote)])
        .message
        .contains("not a local file"));

    let other_instance = format!(
        "Resources:\n{}{}",
        set_yaml("S", "Dev"),
        assignment_yaml("A", "!Ref S", "111111111111")
            .replace("ssoins-1234567890abcdef", "ssoins-fedcba0987654321")
    );
    assert!(err(&[("a.yaml", &other_instance)])
        .help
        .contains("one Identity Center instance"));
}

#[test]
fn nesting_is_bounded_and_cycles_refused() {
    let nest = |child: &str| {
        format!(
            "Resources:\n  C:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: {child}\n"
        )
    };
    // a -> b -> c -> b: b is nested, so a is the root.
    let a = nest("b.yaml");
    let b = nest("c.yaml");
    let c = nest("./b.yaml");
    let e = err(&[("a.yaml", &a), ("b.yaml", &b), ("c.yaml", &c)]);
    assert!(e.message.contains("nests itself"), "{e}");

    // Only a cycle: no root at all.
    let e = err(&[("b.yaml", &b), ("c.yaml", &c)]);
    assert!(e.message.contains("cycle"), "{e}");

    // A chain deeper than the bound.
    let mut files = Vec::new();
    for i in 0..(MAX_STACK_DEPTH + 3) {
        files.push((format!("s{i}.yaml"), nest(&format!("s{}.yaml", i + 1))));
    }
    files.push((
        format!("s{}.yaml", MAX_STACK_DEPTH + 3),
        "Resources: {}\n".into(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let e = err(&refs);
    assert!(e.message.contains("nested deeper"), "{e}");
}

#[test]
fn paths_normalize() {
    assert_eq!(
        child_path("out/c1.yaml", "./c1/c1-000.yaml").as_deref(),
        Ok("out/c1/c1-000.yaml")
    );
    assert_eq!(
        child_path("out/a/p.yaml", "../b.yaml").as_deref(),
        Ok("out/b.yaml")
    );
    assert_eq!(child_path("p.yaml", "c.yaml").as_deref(), Ok("c.yaml"));
    assert_eq!(normalize_path("./x/./y.yaml"), "x/y.yaml");
}

#[test]
fn a_large_parameter_referenced_many_times_is_bounded() {
    let big = "x".repeat(1024 * 1024);
    let refs = "!Ref Big, ".repeat(20);
    let t = format!(
        "Parameters:\n  Big:\n    Type: String\n    Default: {big}\nResources:\n  S:\n    Type: AWS::SSO::PermissionSet\n    Properties:\n      InstanceArn: {INSTANCE}\n      Name: Dev\n      Tags: [{refs}]\n"
    );
    let e = err(&[("a.yaml", &t)]);
    assert!(e.message.contains("MiB"), "{e}");
}

#[test]
fn a_template_nested_many_times_is_bounded() {
    let child = "Resources:\n  R:\n    Type: AWS::S3::Bucket\n";
    let mut parent = String::from("Resources:\n");
    for i in 0..(MAX_STACKS + 1) {
        parent.push_str(&format!(
            "  C{i}:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: c.yaml\n"
        ));
    }
    let e = err(&[("p.yaml", &parent), ("c.yaml", child)]);
    assert!(e.message.contains("stacks"), "{e}");
}
