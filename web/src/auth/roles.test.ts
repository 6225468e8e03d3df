import { describe, expect, it } from 'vitest';
import { areasFor, canManageSettings, canSendSms, canWorkTasks, canWriteContacts, homeFor } from './roles';

describe('role-aware navigation', () => {
  it('sends practice staff to Today, the care team to the workspace and family to the portal', () => {
    expect(homeFor('staff')).toBe('/today');
    expect(homeFor('readonly')).toBe('/today');
    expect(homeFor('admin')).toBe('/today');
    expect(homeFor('care_team')).toBe('/care');
    expect(homeFor('family')).toBe('/family');
    expect(homeFor('client')).toBe('/family');
    expect(homeFor('anonymous')).toBe('/no-access');
  });

  it('never offers the family portal to staff or the task queue to family', () => {
    expect(areasFor('staff')).not.toContain('family');
    expect(areasFor('family')).not.toContain('today');
    expect(areasFor('care_team')).not.toContain('today');
  });

  it('offers task changes only to roles with tasks:write', () => {
    expect(canWorkTasks('staff')).toBe(true);
    expect(canWorkTasks('admin')).toBe(true);
    expect(canWorkTasks('readonly')).toBe(false);
  });
});

describe('the staff dashboard', () => {
  it('shows contacts, pipelines, inbox and reports to practice staff, settings only to admins', () => {
    for (const role of ['admin', 'staff', 'readonly']) {
      expect(areasFor(role)).toEqual(expect.arrayContaining(['today', 'contacts', 'pipelines', 'inbox', 'reports']));
    }
    expect(areasFor('admin')).toContain('settings');
    expect(areasFor('staff')).not.toContain('settings');
    expect(areasFor('readonly')).not.toContain('settings');
    expect(areasFor('care_team')).not.toContain('contacts');
    expect(areasFor('family')).not.toContain('inbox');
  });

  it('lets read-only users look but not move, send or configure (as the API enforces)', () => {
    expect(canWriteContacts('readonly')).toBe(false);
    expect(canSendSms('readonly')).toBe(false);
    expect(canManageSettings('readonly')).toBe(false);
    expect(canWriteContacts('staff') && canSendSms('staff')).toBe(true);
    expect(canManageSettings('staff')).toBe(false);
    expect(canManageSettings('admin')).toBe(true);
  });
});
