-- Spec 001's consultation pipeline (Inquiry → Contacted → Interested →
-- Proposed → Client, or lost), beside seed 000's four.
alter table contact.contacts drop constraint contacts_current_pipeline_check;
alter table contact.contacts add constraint contacts_current_pipeline_check
    check (current_pipeline in ('lead_to_booking', 'pre_appointment', 'post_appointment', 'partnership', 'consultation'));
alter table contact.contacts drop constraint contacts_stage_in_pipeline;
alter table contact.contacts add constraint contacts_stage_in_pipeline check (
    (current_pipeline = 'lead_to_booking'
        and current_stage in ('new_lead', 'contacted', 'engaged', 'booking_attempted', 'booked', 'dead_lost'))
    or (current_pipeline = 'pre_appointment'
        and current_stage in ('booking_confirmed', 'reminded', 'confirmed', 'needs_attention', 'ready'))
    or (current_pipeline = 'post_appointment'
        and current_stage in ('attended', 'review_requested', 'referral_invited', 'recall_due',
                              'cancelled_rescue', 'did_not_attend', 'dormant'))
    or (current_pipeline = 'partnership'
        and current_stage in ('identified', 'qualified', 'contacted', 'in_discussion', 'active', 'completed'))
    or (current_pipeline = 'consultation'
        and current_stage in ('inquiry', 'contacted', 'interested', 'proposed', 'client', 'lost')));
