//! The schema, written by hand in types both engines share.

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        private_key -> Text,
        public_key -> Text,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    service_clients (id) {
        id -> Text,
        org_id -> Text,
        client_id -> Text,
        name -> Text,
        secret_hash -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    people (id) {
        id -> Text,
        org_id -> Text,
        external_id -> Nullable<Text>,
        email -> Text,
        display_name -> Text,
        department -> Nullable<Text>,
        title -> Nullable<Text>,
        manager_id -> Nullable<Text>,
        role -> Text,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        user_name -> Nullable<Text>,
        employee_number -> Nullable<Text>,
        deprovisioned -> Bool,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        org_id -> Text,
        actor -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Text>,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    frameworks (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    framework_versions (id) {
        id -> Text,
        org_id -> Text,
        framework_id -> Text,
        version -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    competencies (id) {
        id -> Text,
        org_id -> Text,
        version_id -> Text,
        key -> Text,
        name -> Text,
        description -> Text,
        position -> Integer,
    }
}

diesel::table! {
    questions (id) {
        id -> Text,
        org_id -> Text,
        version_id -> Text,
        competency_id -> Text,
        key -> Text,
        kind -> Text,
        prompt -> Text,
        required -> Bool,
        scale_min -> Nullable<Integer>,
        scale_max -> Nullable<Integer>,
        scale_labels -> Nullable<Text>,
        max_length -> Nullable<Integer>,
        position -> Integer,
    }
}

diesel::table! {
    cycles (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        framework_version_id -> Text,
        state -> Text,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        anonymity -> Text,
        nomination_rules -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        rater_sign_in -> Text,
        reminder_hours -> Text,
    }
}

diesel::table! {
    participants (id) {
        id -> Text,
        org_id -> Text,
        cycle_id -> Text,
        subject_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    nominations (id) {
        id -> Text,
        org_id -> Text,
        cycle_id -> Text,
        subject_id -> Text,
        rater_id -> Text,
        relationship -> Text,
        status -> Text,
        nominated_by -> Text,
        decided_by -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        org_id -> Text,
        cycle_id -> Text,
        subject_id -> Text,
        rater_id -> Text,
        relationship -> Text,
        status -> Text,
        token_hash -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    response_drafts (invitation_id) {
        invitation_id -> Text,
        org_id -> Text,
        credential -> Text,
        updated_at -> Timestamp,
        key_id -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    answer_sets (cycle_id, subject_id, relationship) {
        cycle_id -> Text,
        subject_id -> Text,
        relationship -> Text,
        org_id -> Text,
        key_id -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    subject_results (cycle_id, subject_id) {
        cycle_id -> Text,
        subject_id -> Text,
        org_id -> Text,
        key_id -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    idempotency_keys (org_id, actor, key) {
        org_id -> Text,
        actor -> Text,
        key -> Text,
        request_hash -> Text,
        status_code -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        response_headers -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    competency_summaries (cycle_id, subject_id, competency_key) {
        cycle_id -> Text,
        subject_id -> Text,
        competency_key -> Text,
        mean -> Double,
        spread -> Double,
        respondents -> Integer,
        percentile -> Double,
        self_gap -> Nullable<Double>,
    }
}

diesel::table! {
    competency_norms (cycle_id, competency_key) {
        cycle_id -> Text,
        competency_key -> Text,
        mean -> Double,
        subjects -> Integer,
    }
}

diesel::table! {
    report_releases (cycle_id, subject_id) {
        cycle_id -> Text,
        subject_id -> Text,
        released_at -> Timestamp,
        released_by -> Text,
    }
}

diesel::table! {
    coaching_relationships (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        status -> Text,
        created_by -> Text,
        cadence -> Text,
        confidentiality -> Text,
        expectations -> Text,
        starts_on -> Date,
        review_on -> Date,
        focus_competencies -> Text,
        override_reason -> Nullable<Text>,
        end_reason -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    coaching_members (relationship_id, person_id) {
        relationship_id -> Text,
        person_id -> Text,
        org_id -> Text,
        role -> Text,
        accepted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    report_shares (id) {
        id -> Text,
        org_id -> Text,
        relationship_id -> Text,
        cycle_id -> Text,
        subject_id -> Text,
        competency_keys -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    coaching_sessions (id) {
        id -> Text,
        org_id -> Text,
        relationship_id -> Text,
        held_at -> Timestamp,
        created_by -> Text,
        key_id -> Text,
        sealed -> Binary,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    action_items (id) {
        id -> Text,
        org_id -> Text,
        session_id -> Text,
        owner_id -> Text,
        due_on -> Nullable<Date>,
        done_at -> Nullable<Timestamp>,
        key_id -> Text,
        sealed -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coach_ratings (session_id, rater_id, coach_id) {
        session_id -> Text,
        rater_id -> Text,
        coach_id -> Text,
        org_id -> Text,
        key_id -> Text,
        sealed -> Binary,
        published -> Bool,
    }
}

diesel::table! {
    coach_feedback (coach_id) {
        coach_id -> Text,
        org_id -> Text,
        ratings -> Integer,
        raters -> Integer,
        total -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    goals (id) {
        id -> Text,
        org_id -> Text,
        person_id -> Text,
        competency_key -> Text,
        status -> Text,
        due_on -> Nullable<Date>,
        key_id -> Text,
        sealed -> Binary,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    goal_shares (goal_id, relationship_id) {
        goal_id -> Text,
        relationship_id -> Text,
        org_id -> Text,
    }
}

diesel::table! {
    goal_check_ins (id) {
        id -> Text,
        org_id -> Text,
        goal_id -> Text,
        progress -> Integer,
        key_id -> Text,
        sealed -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coaching_resources (id) {
        id -> Text,
        org_id -> Text,
        title -> Text,
        format -> Text,
        url -> Nullable<Text>,
        body -> Nullable<Text>,
        competency_keys -> Text,
        starter -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    analytics_departments (cycle_id, position) {
        cycle_id -> Text,
        position -> Integer,
        name -> Nullable<Text>,
        leaders -> Integer,
    }
}

diesel::table! {
    analytics_ratings (cycle_id, department, relationship, question_id) {
        cycle_id -> Text,
        department -> Integer,
        relationship -> Text,
        question_id -> Text,
        leaders -> Binary,
        answers -> BigInt,
        score_sum -> BigInt,
        score_squares -> BigInt,
    }
}

diesel::table! {
    analytics_participation (cycle_id, department, relationship) {
        cycle_id -> Text,
        department -> Integer,
        relationship -> Text,
        leaders -> Binary,
        invited -> BigInt,
        answered -> BigInt,
    }
}

diesel::table! {
    analytics_gaps (cycle_id, competency_key, hundredths) {
        cycle_id -> Text,
        competency_key -> Text,
        hundredths -> Integer,
        leaders -> Integer,
        gap_sum -> Double,
    }
}

diesel::table! {
    analytics_settings (org_id) {
        org_id -> Text,
        min_cell -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(service_clients -> organizations (org_id));
diesel::joinable!(people -> organizations (org_id));
diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        org_id -> Text,
        url -> Text,
        description -> Text,
        event_types -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        key_id -> Text,
        sealed -> Binary,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_messages (id) {
        id -> Text,
        org_id -> Text,
        event_type -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        org_id -> Text,
        endpoint_id -> Text,
        message_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        org_id -> Text,
        attempted_at -> Timestamp,
        outcome -> Text,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> Integer,
        worker -> Text,
    }
}

diesel::table! {
    webhook_schedule (kind, cycle_id, slot) {
        kind -> Text,
        cycle_id -> Text,
        slot -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_tallies (cycle_id, subject_id) {
        cycle_id -> Text,
        subject_id -> Text,
        submitted -> Integer,
    }
}

diesel::joinable!(audit_events -> organizations (org_id));

diesel::joinable!(questions -> competencies (competency_id));
diesel::joinable!(invitations -> cycles (cycle_id));
diesel::joinable!(nominations -> cycles (cycle_id));
diesel::joinable!(participants -> people (subject_id));
diesel::joinable!(competency_summaries -> cycles (cycle_id));
diesel::joinable!(report_releases -> cycles (cycle_id));
diesel::joinable!(coaching_members -> coaching_relationships (relationship_id));
diesel::joinable!(coaching_members -> people (person_id));
diesel::joinable!(report_shares -> coaching_relationships (relationship_id));
diesel::joinable!(coaching_sessions -> coaching_relationships (relationship_id));
diesel::joinable!(action_items -> coaching_sessions (session_id));
diesel::joinable!(goal_shares -> goals (goal_id));
diesel::joinable!(goal_check_ins -> goals (goal_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> webhook_messages (message_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    signing_keys,
    service_clients,
    people,
    audit_events,
    frameworks,
    framework_versions,
    competencies,
    questions,
    cycles,
    participants,
    nominations,
    invitations,
    response_drafts,
    answer_sets,
    subject_results,
    idempotency_keys,
    competency_summaries,
    competency_norms,
    report_releases,
    coaching_relationships,
    coaching_members,
    report_shares,
    coaching_sessions,
    action_items,
    coach_ratings,
    coach_feedback,
    goals,
    goal_shares,
    goal_check_ins,
    coaching_resources,
    analytics_departments,
    analytics_ratings,
    analytics_participation,
    analytics_gaps,
    analytics_settings,
    webhook_endpoints,
    webhook_messages,
    webhook_deliveries,
    webhook_attempts,
    webhook_schedule,
    webhook_tallies,
);
