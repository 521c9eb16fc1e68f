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

const doctorSummary = (user: UserDoc): DoctorSummary => ({
  id: user._id,
  name: user.name,
  specialty: user.doctor?.specialty ?? '',
  ...(user.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
});

const patientSummary = (user: UserDoc): PatientSummary => ({ id: user._id, name: user.name });

/**
 * Appointments as their viewer sees them, with a summary of the other party: the doctor for a patient,
 * the patient for a doctor, both for an admin. One store query per page, whatever its length.
 */
export class PartySummaries {
  constructor(private readonly users: UsersRepository) {}

  async present(viewer: Viewer, appointments: AppointmentDoc[]): Promise<Appointment[]> {
    const withDoctor = viewer.role !== 'doctor';
    const withPatient = viewer.role !== 'patient';
    const ids = new Set<string>();
    for (const appointment of appointments) {
      if (withDoctor) ids.add(appointment.doctorId);
      if (withPatient) ids.add(appointment.patientId);
    }
    const users = new Map((await this.users.findByIds([...ids])).map((user) => [user._id, user]));
    return appointments.map((doc) => {
      const appointment = toAppointment(doc);
      const doctor = withDoctor ? users.get(doc.doctorId) : undefined;
      const patient = withPatient ? users.get(doc.patientId) : undefined;
      if (doctor) appointment.doctor = doctorSummary(doctor);
      if (patient) appointment.patient = patientSummary(patient);
      return appointment;
    });
  }

  async presentOne(viewer: Viewer, appointment: AppointmentDoc): Promise<Appointment> {
    const [presented] = await this.present(viewer, [appointment]);
    return presented!;
  }
}
