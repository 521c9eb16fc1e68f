import type { Stored } from '../../db/index.ts';
import type { UserDoc } from '../users/users.model.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import {
  type Appointment,
  type AppointmentDoc,
  type DoctorSummary,
  type PatientSummary,
  toAppointment,
} from './appointments.model.ts';
import type { Viewer } from './appointments.service.ts';

const doctorSummary = (user: UserDoc | Stored<UserDoc>): DoctorSummary => ({
  id: user._id,
  name: user.name,
  specialty: user.doctor?.specialty ?? '',
  ...(user.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
});

const patientSummary = (user: UserDoc | Stored<UserDoc>): PatientSummary => ({
  id: user._id,
  name: user.name,
});

/**
 * Appointments as their viewer sees them, with a summary of the other party: the doctor for a patient,
 * the patient for a doctor, both for an admin. One store query per page, whatever its length.
 */
export class PartySummaries {
  constructor(private readonly users: UsersRepository) {}

  async present(viewer: Viewer, appointments: AppointmentDoc[]): Promise<Appointment[]> {
    if (appointments.length === 1) return [await this.presentOne(viewer, appointments[0]!)];
    const withDoctor = viewer.role !== 'doctor';
    const withPatient = viewer.role !== 'patient';
    const ids = new Set<string>();
    for (const appointment of appointments) {
      if (withDoctor) ids.add(appointment.doctorId);
      if (withPatient) ids.add(appointment.patientId);
    }
    const users = new Map((await this.users.findByIds([...ids])).map((user) => [user._id, user]));
    return appointments.map((doc) =>
      this.withParties(viewer, doc, users.get(doc.doctorId), users.get(doc.patientId)),
    );
  }

  /** One appointment: its other party (both for an admin) read by primary key, no query built for a set. */
  async presentOne(
    viewer: Viewer,
    appointment: AppointmentDoc | Stored<AppointmentDoc>,
  ): Promise<Appointment> {
    const doctor = viewer.role !== 'doctor' ? await this.users.findByIdStored(appointment.doctorId) : null;
    const patient = viewer.role !== 'patient' ? await this.users.findByIdStored(appointment.patientId) : null;
    return this.withParties(viewer, appointment, doctor, patient);
  }

  private withParties(
    viewer: Viewer,
    doc: AppointmentDoc | Stored<AppointmentDoc>,
    doctor: UserDoc | Stored<UserDoc> | null | undefined,
    patient: UserDoc | Stored<UserDoc> | null | undefined,
  ): Appointment {
    const appointment = toAppointment(doc);
    if (doctor && viewer.role !== 'doctor') appointment.doctor = doctorSummary(doctor);
    if (patient && viewer.role !== 'patient') appointment.patient = patientSummary(patient);
    return appointment;
  }
}
