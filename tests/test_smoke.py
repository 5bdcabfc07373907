from tests.factories import ComplaintFactory


def test_factory_builds_a_complaint(db, agent):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    assert complaint.pk
    assert agent.has_perm("complaints.receive_complaint")
